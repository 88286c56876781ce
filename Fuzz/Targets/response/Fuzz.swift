import Foundation
import Wire

/// What the client makes of an endpoint's answer. The first byte picks the output type asked for,
/// the second the status; then `Name: value` header lines up to a NUL byte, then the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: start, count: count))
    guard input.count >= 2 else { return 0 }
    let types: [WireOutputType] = [.pil, .pt, .mp4]
    let statuses = [200, 400, 404, 422, 429, 500, 503]
    let parameters = DecodeParameters(
        outputType: types[Int(input[0]) % types.count], partialPostprocess: input[0] & 0x80 != 0,
        imageFormat: input[0] & 0x40 != 0 ? .png : .jpg, shape: [1, 4, 8, 8], dtype: .float32)
    let rest = input[2...]
    let split = rest.firstIndex(of: 0) ?? rest.endIndex
    let headers = String(decoding: rest[..<split], as: UTF8.self).split(separator: "\n").compactMap { line in
        line.firstIndex(of: ":").map { Header(String(line[..<$0]), String(line[$0...].dropFirst()).trimmingCharacters(in: .whitespaces)) }
    }
    let response = WireResponse(
        status: statuses[Int(input[1]) % statuses.count], headers: headers,
        body: Array(rest[min(split + 1, rest.endIndex)...]))
    _ = try? DecodedPayload.parse(response, for: parameters)
    return 0
}
