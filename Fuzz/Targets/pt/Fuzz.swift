import Foundation
import LatentKit

/// `torch.save` files: the zip layer, the restricted unpickler and strided tensor views.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = Data(UnsafeBufferPointer(start: start, count: count))
    _ = try? LatentFile.read(data: data, fileName: "fuzz.pt").latent()
    return 0
}
