import Foundation
import LatentKit

/// `.npy` arrays, header literal included.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    _ = try? NumPyArray.decode(data)
    return 0
}
