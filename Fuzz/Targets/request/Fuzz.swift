import Wire

/// What `serve` makes of a request, to decode and to encode: the query string up to the first NUL
/// byte, the body after it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    let split = input.firstIndex(of: 0) ?? input.count
    let query = String(decoding: input[..<split], as: UTF8.self)
    let body = Array(input[min(split + 1, input.count)...])
    _ = try? DecodeRequest.parse(query: query, body: body)
    _ = try? EncodeRequest.parse(query: query, body: body)
    return 0
}
