import Foundation

/// `.npz`: a zip (stored or deflated) of `.npy` members, each a named array.
enum NumPyArchive {
    static func read(_ members: inout ZipMembers, limits: ReadLimits) throws(LatentFileError) -> [NamedTensor] {
        var tensors: [NamedTensor] = []
        for path in members.paths where path.hasSuffix(".npy") {
            let name = String(path.dropLast(4))
            let array = try NumPyArray.decode(Data(try members.read(path)), name: name, limits: limits)
            tensors.append(NamedTensor(name: name, tensor: array))
        }
        return tensors
    }
}
