import Foundation
import LatentKit

/// ComfyUI `.latent` files: safetensors read through `LatentFile`, as `inspect` and `decode` do.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    _ = try? LatentFile.read(data: data, fileName: "fuzz.latent").latent()
    return 0
}
