import ImageCodecs

/// PNG decoding (libspng with latentty's limits), text chunks included.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    _ = try? PNGCodec.decode(Array(UnsafeBufferPointer(start: start, count: count)))
    return 0
}
