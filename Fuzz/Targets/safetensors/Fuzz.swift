import Foundation
import LatentKit

/// The safetensors reader, as `inspect` and weight loading use it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    if let archive = try? SafetensorsArchive(data: data) { _ = archive.allTensors() }
    return 0
}
