import ImageCodecs

/// JPEG decoding (TurboJPEG with latentty's limits).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? JPEGCodec.decode(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}
