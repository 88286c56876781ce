import Foundation
import LatentKit

/// A model's tensors by canonical (diffusers) name, as float32, from any of the naming schemes
/// checkpoints use. Reading a tensor marks it used, so leftovers can be reported by name.
final class WeightStore {
    /// Where a tensor's values are: in memory, or in a weights file's mapping, converted to floats
    /// only when a layer asks (so a load never holds a copy of the whole file).
    enum Source {
        case tensor(Tensor)
        case archived(SafetensorsArchive, SafetensorsArchive.Entry)

        var shape: [Int] {
            switch self {
            case .tensor(let tensor): tensor.shape
            case .archived(_, let entry): entry.shape
            }
        }

        var elementCount: Int { shape.reduce(1, *) }

        func floatValues() -> [Float] {
            switch self {
            case .tensor(let tensor): tensor.floatValues()
            case .archived(let archive, let entry): archive.floatValues(for: entry)
            }
        }
    }

    private var tensors: [String: Source]
    private var used: Set<String> = []
    /// The precision layers built from these weights compute in.
    var precision: Precision = .f32
    /// Where their 3×3 convolutions may use Winograd.
    var winograd: WinogradPolicy = .automatic
    /// For benchmarks: invents any tensor asked for (same shapes and FLOPs as real weights).
    private var random: TorchGenerator?

    init(tensors: [String: Tensor]) {
        self.tensors = tensors.mapValues(Source.tensor)
    }

    private init(sources: [String: Source]) {
        tensors = sources
    }

    /// A store that makes up weights on demand: norms at identity, everything else small noise
    /// scaled by 1/√fan-in so activations stay in range through the whole network.
    static func random(seed: UInt64) -> WeightStore {
        let store = WeightStore(tensors: [:])
        store.random = TorchGenerator(seed: seed)
        return store
    }

    /// Loads safetensors and renames to diffusers names: strips `first_stage_model.`/`vae.`,
    /// maps old attention names (`query`/`key`/`value`/`proj_attn`) and single-file LDM names
    /// (`decoder.mid.block_1`, `decoder.up.{i}` = `up_blocks.{n-1-i}`, `encoder.down.{i}` = `down_blocks.{i}`,
    /// `nin_shortcut`, `norm_out`, …).
    /// `torch.save` state dicts (`.pth`, a zip) are read whole through LatentKit's restricted
    /// unpickler, within its read limits.
    static func load(_ url: URL) throws -> WeightStore {
        let archive: SafetensorsArchive
        do {
            if try isZip(url) {
                let file = try LatentFile.read(contentsOf: url)
                var raw: [String: Source] = [:]
                for named in file.tensors { raw[named.name] = .tensor(named.tensor) }
                return WeightStore(sources: canonicalNames(raw))
            }
            archive = try SafetensorsArchive(contentsOf: url)
        } catch {
            throw NativeError.unreadableWeights("\(url.path): \(error)")
        }
        var raw: [String: Source] = [:]
        for entry in archive.entries { raw[entry.name] = .archived(archive, entry) }
        return WeightStore(sources: canonicalNames(raw))
    }

    private static func isZip(_ url: URL) throws -> Bool {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        return try handle.read(upToCount: 4) == Data([0x50, 0x4B, 0x03, 0x04])
    }

    static func canonicalNames<Value>(_ raw: [String: Value]) -> [String: Value] {
        var stripped: [String: Value] = [:]
        for (name, tensor) in raw {
            var key = name
            for prefix in ["first_stage_model.", "vae."] where key.hasPrefix(prefix) { key = String(key.dropFirst(prefix.count)) }
            stripped[key] = tensor
        }
        // The original flat TAESD files: the decoder's `3.conv.0.weight`, where index 0 is the clamp
        // (it has no weights), and the encoder's, whose index 0 is its first convolution.
        let flatEncoder = stripped["0.weight"] != nil
        for (key, tensor) in stripped {
            guard let first = key.split(separator: ".").first, let index = Int(first), flatEncoder || index > 0 else { continue }
            stripped[key] = nil
            let layer = flatEncoder ? "encoder.layers.\(index)" : "decoder.layers.\(index - 1)"
            stripped[layer + key.dropFirst(first.count)] = tensor
        }
        // LDM up blocks count upward from the output; diffusers count from the latent.
        let ldmUpBlocks = Set(
            stripped.keys.compactMap { key -> Int? in
                guard key.hasPrefix("decoder.up."), let index = Int(key.split(separator: ".")[2]) else { return nil }
                return index
            })
        let upCount = (ldmUpBlocks.max() ?? -1) + 1
        var renamed: [String: Value] = [:]
        for (name, tensor) in stripped { renamed[rename(name, upCount: upCount)] = tensor }
        return renamed
    }

    static func rename(_ name: String, upCount: Int) -> String {
        var parts = name.split(separator: ".").map(String.init)
        guard parts.first == "decoder" || parts.first == "encoder", parts.count >= 3 else { return name }
        if parts[1] == "mid" {
            switch parts[2] {
            case "block_1": parts.replaceSubrange(1...2, with: ["mid_block", "resnets", "0"])
            case "block_2": parts.replaceSubrange(1...2, with: ["mid_block", "resnets", "1"])
            case "attn_1": parts.replaceSubrange(1...2, with: ["mid_block", "attentions", "0"])
            default: break
            }
        } else if parts[1] == "down", let index = Int(parts[2]), parts.count >= 4 {
            // The encoder's down blocks count the same way in both schemes.
            if parts[3] == "block" {
                parts.replaceSubrange(1...3, with: ["down_blocks", String(index), "resnets"])
            } else if parts[3] == "downsample" {
                parts.replaceSubrange(1...3, with: ["down_blocks", String(index), "downsamplers", "0"])
            }
        } else if parts[1] == "up", let index = Int(parts[2]), parts.count >= 4 {
            let block = String(upCount - 1 - index)
            if parts[3] == "block" {
                parts.replaceSubrange(1...3, with: ["up_blocks", block, "resnets"])
            } else if parts[3] == "upsample" {
                parts.replaceSubrange(1...3, with: ["up_blocks", block, "upsamplers", "0"])
            }
        } else if parts[1] == "norm_out" {
            parts[1] = "conv_norm_out"
        }
        let joined = parts.joined(separator: ".")
        let replacements = [
            ("nin_shortcut", "conv_shortcut"), ("attentions.0.norm.", "attentions.0.group_norm."),
            ("attentions.0.query.", "attentions.0.to_q."), ("attentions.0.key.", "attentions.0.to_k."),
            ("attentions.0.value.", "attentions.0.to_v."), ("attentions.0.proj_attn.", "attentions.0.to_out.0."),
            ("attentions.0.q.", "attentions.0.to_q."), ("attentions.0.k.", "attentions.0.to_k."),
            ("attentions.0.v.", "attentions.0.to_v."), ("attentions.0.proj_out.", "attentions.0.to_out.0."),
        ]
        return replacements.reduce(joined) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
    }

    func has(_ name: String) -> Bool { tensors[name] != nil }

    func shape(of name: String) -> [Int]? { tensors[name]?.shape }

    /// The tensor's values, after checking its element count against `shape` (a Linear weight
    /// `[C, C]` and a 1×1 convolution `[C, C, 1, 1]` are the same data).
    func values(_ name: String, shape: [Int]) throws -> [Float] {
        if random != nil, tensors[name] == nil { return invent(name, shape: shape) }
        guard let tensor = tensors[name] else { throw NativeError.missingTensor(name) }
        guard tensor.elementCount == shape.reduce(1, *) else {
            throw NativeError.wrongShape(name: name, expected: shape, actual: tensor.shape)
        }
        used.insert(name)
        return tensor.floatValues()
    }

    private func invent(_ name: String, shape: [Int]) -> [Float] {
        let count = shape.reduce(1, *)
        if shape.count == 1 {
            let isNormScale = name.hasSuffix(".weight")
            return [Float](repeating: isNormScale ? 1 : 0, count: count)
        }
        let fanIn = shape.dropFirst().reduce(1, *)
        let scale = 1 / Float(fanIn).squareRoot()
        return random!.normalFloats(count: count).map { $0 * scale }
    }

    /// Names under `prefix` that nothing read.
    func unused(prefix: String) -> [String] {
        tensors.keys.filter { $0.hasPrefix(prefix) && !used.contains($0) }.sorted()
    }
}
