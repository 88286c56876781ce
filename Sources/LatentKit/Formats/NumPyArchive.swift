import Foundation

/// `.npz`: a zip (stored or deflated) of `.npy` members, each a named array.
enum NumPyArchive {
    static func read(_ data: Data, limits: ReadLimits) throws(LatentFileError) -> [NamedTensor] {
        let members = try ZipMembers(data: data, limits: limits, format: "npz")
        var tensors: [NamedTensor] = []
        for path in members.paths where path.hasSuffix(".npy") {
            let name = String(path.dropLast(4))
            let array = try NumPyArray.decode(Data(try members.read(path)), name: name, limits: limits)
            tensors.append(NamedTensor(name: name, tensor: array))
        }
        return tensors
    }
}
