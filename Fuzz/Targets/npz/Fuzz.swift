import Foundation
import LatentKit

/// `.npz` archives (the zip layer, then each `.npy` member), as `inspect` and `decode` read them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    _ = try? LatentFile.read(data: data, fileName: "fuzz.npz").latent()
    return 0
}
