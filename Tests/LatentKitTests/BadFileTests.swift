import Foundation
import Testing
import ZIPFoundation

@testable import LatentKit

/// Hostile and damaged files: each must end in a clear error, never a crash, hang or huge allocation.
@Suite struct BadFileTests {
    func safetensors(_ header: String, payload: [UInt8] = [], claimedLength: UInt64? = nil) -> Data {
        var data = Data()
        withUnsafeBytes(of: (claimedLength ?? UInt64(header.utf8.count)).littleEndian) {
            data.append(contentsOf: $0)
        }
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: payload)
        return data
    }

    func zip(_ members: [(String, Data)], compression: CompressionMethod = .none) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, content) in members {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(content.count),
                compressionMethod: compression
            ) { position, size in
                content.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        return archive.data!
    }

    @Test func truncatedSafetensorsNamesTheProblem() throws {
        let good = try Fixtures.data("formats/latent.safetensors")
        let error = readFailure(good.prefix(good.count - 100))
        guard case .offsetsOutOfRange(let name, _, let end, let available) = error else {
            Issue.record("got \(String(describing: error))")
            return
        }
        #expect(name == "latents" && end == 1024 && available == 924)
        #expect(error!.description.contains("latents"))
        #expect(readFailure(good.prefix(5)) == .truncated(format: "latent", detail: "only 5 bytes"))
        #expect(readFailure(Data()) != nil)
    }

    @Test func headerLengthThatLiesOrIsHugeIsRefusedBeforeAllocating() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let lying = safetensors(header, payload: [0, 0, 0, 0], claimedLength: 10_000)
        #expect(
            readFailure(lying) == .headerTooLarge(format: "safetensors", length: 10_000, limit: 100 << 20)
        )
        let huge = safetensors(header, claimedLength: UInt64.max)
        #expect(
            readFailure(huge)
                == .headerTooLarge(format: "safetensors", length: UInt64.max, limit: 100 << 20))
        let error = readFailure(huge)!.description
        #expect(error.contains("corrupt"))
    }

    @Test func unknownDTypeIsNamed() {
        let data = safetensors(
            #"{"x":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0])
        #expect(
            readFailure(data) == .unsupportedDType(format: "safetensors", tensor: "x", dtype: "F8_E4M3"))
    }

    @Test func shapeTimesDTypeDisagreeingWithTheBytesIsCaught() {
        let data = safetensors(
            #"{"x":{"dtype":"F32","shape":[1,4,8,8],"data_offsets":[0,512]}}"#,
            payload: [UInt8](repeating: 0, count: 512))
        #expect(
            readFailure(data)
                == .byteCountMismatch(
                    tensor: "x", shape: [1, 4, 8, 8], dtype: .float32, expected: 1024, actual: 512))
        let overflow = safetensors(
            #"{"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#,
            payload: [0, 0, 0, 0])
        #expect(
            readFailure(overflow)
                == .invalidShape(tensor: "x", shape: [4_294_967_296, 4_294_967_296, 16]))
        let negative = safetensors(
            #"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, payload: [0, 0, 0, 0])
        #expect(readFailure(negative) == .invalidShape(tensor: "x", shape: [-1]))
    }

    @Test func offsetsOutOfRangeAreCaught() {
        let past = safetensors(
            #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            payload: [0, 0, 0, 0, 0, 0, 0, 0])
        #expect(readFailure(past) == .offsetsOutOfRange(tensor: "x", begin: 4, end: 12, available: 8))
        let backwards = safetensors(
            #"{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#,
            payload: [UInt8](repeating: 0, count: 8))
        #expect(
            readFailure(backwards) == .offsetsOutOfRange(tensor: "x", begin: 8, end: 4, available: 8))
    }

    @Test func malformedHeadersAreCaught() {
        #expect(
            readFailure(safetensors("{not json}   "))
                == .malformedHeader(format: "safetensors", detail: "the header is not a JSON object"))
        #expect(
            readFailure(safetensors(#"{"x":{"shape":[1]}}        "#))
                == .malformedHeader(
                    format: "safetensors", detail: "entry 'x' lacks dtype, shape or data_offsets"))
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, 20, 0])
        npy.append(contentsOf: Array("{'descr': __import__}".utf8))
        #expect(readFailure(npy, name: "x.npy") != nil)
        #expect(
            readFailure(Data((0..<64).map { UInt8($0 * 7 & 0xFF) }), name: "noise.bin")
                == .unknownFormat(hint: "its first bytes match no known format"))
    }

    @Test func truncatedNpyIsCaught() throws {
        let npy = try Fixtures.data("formats/latent.npy")
        guard case .truncated = readFailure(npy.prefix(npy.count - 1), name: "x.npy") else {
            Issue.record("a cut .npy must read as truncated")
            return
        }
        guard case .headerTooLarge = readFailure(npy.prefix(60), name: "x.npy") else {
            Issue.record("a cut .npy header must be caught")
            return
        }
    }

    @Test func truncatedZipFormatsAreCaught() throws {
        for path in ["formats/latent.npz", "formats/latent_tensor.pt"] {
            let data = try Fixtures.data(path)
            #expect(readFailure(data.prefix(data.count / 2), name: path) != nil, "\(path)")
        }
    }

    @Test func aPickleNamingAForbiddenGlobalIsRefused() throws {
        // pickle.dumps(os.system, protocol 2) applied to "ls": GLOBAL 'os system', REDUCE.
        var pickle: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8)
        pickle += [0x58, 2, 0, 0, 0] + Array("ls".utf8) + [0x85, 0x52, 0x2E]
        let data = try zip([
            ("archive/data.pkl", Data(pickle)), ("archive/byteorder", Data("little".utf8)),
        ])
        let error = readFailure(data, name: "evil.pt")
        #expect(error == .forbiddenPickleGlobal(module: "os", name: "system"))
        #expect(error!.description.contains("never runs code"))
        // The same through STACK_GLOBAL (protocol 4).
        let stackGlobal: [UInt8] =
            [0x80, 0x04, 0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8) + [
                0x93, 0x2E,
            ]
        let data4 = try zip([("archive/data.pkl", Data(stackGlobal))])
        #expect(
            readFailure(data4, name: "evil.pt")
                == .forbiddenPickleGlobal(module: "builtins", name: "eval"))
    }

    @Test func unknownPickleOpcodesAndBrokenPicklesAreRefused() throws {
        let inst = try zip([
            ("a/data.pkl", Data([0x80, 0x02, 0x69] + Array("os\nsystem\n".utf8) + [0x2E]))
        ])
        guard case .unsupportedPickle(let detail) = readFailure(inst, name: "x.pt") else {
            Issue.record("INST must be refused")
            return
        }
        #expect(detail.contains("0x69"))
        let cut = try zip([("a/data.pkl", Data([0x80, 0x02, 0x7D, 0x28]))])
        #expect(
            readFailure(cut, name: "x.pt")
                == .unsupportedPickle(detail: "the pickle ends before STOP (truncated)"))
        let legacy = Data([0x80, 0x02, 0x8A, 0x0A] + [UInt8](repeating: 0, count: 32))
        guard case .unsupportedPickle = readFailure(legacy, name: "old.pt") else {
            Issue.record("legacy torch.save must be explained")
            return
        }
    }

    @Test func aTensorReachingPastItsStorageIsRefused() throws {
        let original = try Fixtures.data("formats/latent_tensor.pt")
        let archive = try Archive(data: original, accessMode: .read)
        var members: [(String, Data)] = []
        for entry in archive {
            var content = Data()
            _ = try archive.extract(entry) { content.append($0) }
            // Halve the storage: the pickle still claims 256 floats.
            if entry.path.hasSuffix("data/0") { content = content.prefix(512) }
            members.append((entry.path, content))
        }
        guard case .truncated = readFailure(try zip(members), name: "cut.pt") else {
            Issue.record("a short storage must be caught")
            return
        }
    }

    @Test func zipBombIsRefusedByDeclaredSize() throws {
        let zeros = Data(count: 8 << 20)
        let bomb = try zip([("latents.npy", zeros)], compression: .deflate)
        #expect(bomb.count < 64 << 10)
        let limits = ReadLimits(maxUnpackedBytes: 1 << 20)
        #expect(
            readFailure(bomb, name: "bomb.npz", limits: limits)
                == .archiveEntryTooLarge(path: "latents.npy", size: 8 << 20, limit: 1 << 20))
    }

    @Test func zipMemberInflatingPastItsDeclaredSizeIsStopped() throws {
        let zeros = Data(count: 8 << 20)
        var bomb = try zip([("latents.npy", zeros)], compression: .deflate)
        // Rewrite the declared uncompressed size (local header offset 22, central directory offset 24) to 1 KiB.
        let declared = withUnsafeBytes(of: UInt32(8 << 20).littleEndian, Array.init)
        let small = withUnsafeBytes(of: UInt32(1024).littleEndian, Array.init)
        var patched = 0
        var index = 0
        while let range = bomb[index...].firstRange(of: declared) {
            bomb.replaceSubrange(range, with: small)
            index = range.upperBound
            patched += 1
        }
        #expect(patched == 2)
        #expect(
            readFailure(bomb, name: "bomb.npz")
                == .archiveEntryLargerThanDeclared(path: "latents.npy", declared: 1024))
    }
}
