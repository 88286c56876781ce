import Foundation
import Testing

@testable import LatentKit

/// Files that crashed latentty or cost it seconds and gigabytes (issue 10), rebuilt byte by byte:
/// each must now end in a clear error, or read, within bounded time and memory.
@Suite struct HostileFileTests {
    // MARK: - Zip offsets

    @Test func aDirectoryOffsetPastTheEndIsAnError() throws {
        var npz = try Fixtures.data("formats/latent.npz")
        let end = try #require(npz.range(of: Data([0x50, 0x4B, 0x05, 0x06]), options: .backwards)).lowerBound
        patch(&npz, at: end + 16, with: UInt32(npz.count + 4096))
        guard case .truncated(let format, let detail) = readFailure(npz, name: "x.npz") else {
            Issue.record("a directory past the end must read as truncated")
            return
        }
        #expect(format == "zip" && detail.contains("past the"))
    }

    @Test func aLocalHeaderOffsetPastTheEndIsAnError() throws {
        var pt = try Fixtures.data("formats/latent_tensor.pt")
        let name = Data("latent_tensor/data/0".utf8)
        let entry = try #require(pt.range(of: name, options: .backwards)).lowerBound - 46
        #expect(pt.littleEndianInteger(at: entry, as: UInt32.self) == 0x0201_4B50)
        patch(&pt, at: entry + 42, with: UInt32(pt.count + 100))
        guard case .truncated = readFailure(pt, name: "x.pt") else {
            Issue.record("a member past the end must read as truncated")
            return
        }
        // Pointing inside the file, but not at a local header, is caught too.
        patch(&pt, at: entry + 42, with: 7)
        guard case .malformedHeader = readFailure(pt, name: "x.pt") else {
            Issue.record("a member without its local header must be refused")
            return
        }
    }

    @Test func sizesThatLieAreErrors() throws {
        var npz = storedZip([("x.npy", try npyScalar(1))])
        let directory = try #require(npz.range(of: Data([0x50, 0x4B, 0x01, 0x02]), options: .backwards)).lowerBound
        // Compressed size beyond the file: caught before any slicing.
        patch(&npz, at: directory + 20, with: 0x7FFF_FFFF)
        guard case .truncated = readFailure(npz, name: "x.npz") else {
            Issue.record("a member longer than the file must read as truncated")
            return
        }
        // A declared size over the unpacking limit is refused before inflating.
        patch(&npz, at: directory + 20, with: UInt32(npz.count))
        patch(&npz, at: directory + 24, with: 0xF000_0000)
        #expect(
            readFailure(npz, name: "x.npz")
                == .archiveEntryTooLarge(path: "x.npy", size: 0xF000_0000, limit: 1 << 30))
    }

    @Test func aDamagedMemberFailsItsChecksum() throws {
        var npz = storedZip([("x.npy", try npyScalar(1))])
        npz[npz.startIndex + 30 + 5 + 130] ^= 0x01  // a data byte of the float
        #expect(
            readFailure(npz, name: "x.npz")
                == .malformedHeader(format: "zip", detail: "member 'x.npy' fails its CRC check (damaged)"))
    }

    @Test func membersShareOneUnpackingBudget() throws {
        let member = try npyScalar(1)
        let npz = storedZip([("a.npy", member), ("b.npy", member)])
        let limits = ReadLimits(maxUnpackedBytes: member.count + 10)
        #expect(
            readFailure(npz, name: "x.npz", limits: limits)
                == .archiveEntryTooLarge(path: "b.npy", size: UInt64(member.count), limit: 10))
    }

    // MARK: - Pickle nesting, fan-out and growth

    @Test func deeplyNestedTuplesAreRefusedNotRecursedInto() {
        // 20,000 TUPLE1 around None: once a stack overflow when built, walked or freed.
        let pickle = PickleBytes.header + [0x4E] + [UInt8](repeating: 0x85, count: 20_000) + PickleBytes.stop
        #expect(
            readFailure(torchFile(pickle: pickle), name: "x.pt")
                == .unsupportedPickle(detail: "its containers nest more than 1000 levels deep"))
    }

    @Test func deeplyNestedListsAreRefused() {
        // 20,000 empty lists, each appended into the one below it.
        let pickle =
            PickleBytes.header + [UInt8](repeating: 0x5D, count: 20_000) + [UInt8](repeating: 0x61, count: 19_999)
            + PickleBytes.stop
        #expect(
            readFailure(torchFile(pickle: pickle), name: "x.pt")
                == .unsupportedPickle(detail: "its containers nest more than 1000 levels deep"))
    }

    @Test func aListHoldingItselfIsRefused() {
        // EMPTY_LIST, BINPUT 0, BINGET 0, APPEND: a cycle, as Python would build it.
        let pickle = PickleBytes.header + [0x5D, 0x71, 0, 0x68, 0, 0x61] + PickleBytes.stop
        #expect(readFailure(torchFile(pickle: pickle), name: "x.pt") != nil)
    }

    @Test func memoFanOutIsBoundedInTimeAndMemory() {
        // Each level is a list of the previous level twice: 40 levels describe 2^40 values in ~300 bytes.
        var pickle = PickleBytes.header + [0x4E, 0x71, 0]
        for _ in 0..<40 { pickle += [0x28, 0x68, 0, 0x68, 0, 0x6C, 0x71, 0] }
        pickle += PickleBytes.stop
        var error: LatentFileError?
        let elapsed = ContinuousClock().measure { error = readFailure(torchFile(pickle: pickle), name: "x.pt") }
        guard case .unsupportedPickle(let detail) = error else {
            Issue.record("fan-out must be refused, got \(String(describing: error))")
            return
        }
        #expect(detail.contains("more than 100000 values"))
        // A bound against the old blow-up (12 s and 754 MB), loose enough for a busy 2-core debug run.
        #expect(elapsed < .seconds(8))
    }

    @Test func appendsAndSetitemsAreLinear() throws {
        // 40,000 APPENDs and 40,000 SETITEMs took 16 s and over 30 s when each copied its container.
        var appends = PickleBytes.header + [0x5D, 0x71, 0]
        for index in 0..<40_000 { appends += [0x4B, UInt8(index & 0xFF), 0x61] }
        appends += PickleBytes.stop
        var setitems = PickleBytes.header + [0x7D, 0x71, 0]
        for index in 0..<40_000 { setitems += [0x4A] + withUnsafeBytes(of: Int32(index).littleEndian, Array.init) + [0x4E, 0x73] }
        setitems += PickleBytes.stop
        for pickle in [appends, setitems] {
            var file: LatentFile?
            let elapsed = try ContinuousClock().measure {
                file = try LatentFile.read(data: torchFile(pickle: pickle), fileName: "x.pt")
            }
            #expect(file?.metadata.count == 40_000)
            // Quadratic copying took 16 s and 30 s; linear work stays far below this on any machine.
            #expect(elapsed < .seconds(8))
        }
    }

    @Test func aMemoEntrySeesItsContainerGrow() throws {
        // {'a': <list>} where the list is filled after it was memoized and recalled: Python's sharing.
        let tensor = PickleBytes.tensor(numel: 2, offset: 0, shape: [2], strides: [1])
        let pickle =
            PickleBytes.header + [0x7D, 0x71, 0] + PickleBytes.string("a") + [0x5D, 0x71, 1, 0x73]
            + [0x68, 1] + tensor + [0x61, 0x30] + PickleBytes.stop
        let file = try LatentFile.read(data: torchFile(pickle: pickle, storage: [1, 2]), fileName: "x.pt")
        #expect(file.tensors.map(\.name) == ["a.0"])
        #expect(file.tensors.first?.tensor.floatValues() == [1, 2])
    }

    // MARK: - Tensor arithmetic and views

    func tensorFile(numel: Int, offset: Int = 0, shape: [Int], strides: [Int], storage: [Float]) -> Data {
        torchFile(
            pickle: PickleBytes.header + PickleBytes.tensor(numel: numel, offset: offset, shape: shape, strides: strides)
                + PickleBytes.stop,
            storage: storage)
    }

    @Test func hugeCountsAndOffsetsAreErrorsNotTraps() {
        let storage: [Float] = [1, 2, 3, 4]
        guard case .truncated = readFailure(tensorFile(numel: 1 << 62, shape: [1], strides: [1], storage: storage), name: "x.pt")
        else {
            Issue.record("a storage of 2^62 elements must read as truncated")
            return
        }
        guard
            case .offsetsOutOfRange(let name, _, let end, _) = readFailure(
                tensorFile(numel: 4, offset: Int.max, shape: [1], strides: [1], storage: storage), name: "x.pt")
        else {
            Issue.record("an offset of 2^63-1 must be out of range")
            return
        }
        #expect(name == "tensor" && end == Int.max)
        #expect(
            readFailure(tensorFile(numel: 4, shape: [1 << 62], strides: [0], storage: storage), name: "x.pt")
                == .invalidShape(tensor: "tensor", shape: [1 << 62]))
        #expect(
            readFailure(tensorFile(numel: 4, shape: [2, 2], strides: [Int.max, 1], storage: storage), name: "x.pt")
                == .invalidShape(tensor: "tensor", shape: [2, 2]))
    }

    @Test func aZeroStrideCannotAskForGigabytes() throws {
        // 4 bytes of storage, viewed as 2^30 floats: 4 GiB asked of a file of a few hundred bytes.
        let huge = tensorFile(numel: 1, shape: [1 << 15, 1 << 15], strides: [0, 0], storage: [7])
        #expect(
            readFailure(huge, name: "x.pt") == .viewTooLarge(tensor: "tensor", bytes: 4 << 30, limit: 64 << 20))
        #expect(readFailure(huge, name: "x.pt")!.description.contains("zero stride"))
        // A modest broadcast (torch's expand) still reads, with every element the one stored.
        let expanded = try LatentFile.read(
            data: tensorFile(numel: 1, shape: [4, 8], strides: [0, 0], storage: [7]), fileName: "x.pt")
        #expect(expanded.tensors[0].tensor.floatValues() == [Float](repeating: 7, count: 32))
    }

    @Test func viewsShareOneAllowance() {
        // Two tensors each within the allowance, together over it.
        let tensor = PickleBytes.tensor(numel: 1, offset: 0, shape: [200], strides: [0])
        let pickle = PickleBytes.header + [0x5D, 0x28] + tensor + tensor + [0x65] + PickleBytes.stop
        let limits = ReadLimits(maxViewExpansionBytes: 1000)
        #expect(
            readFailure(torchFile(pickle: pickle, storage: [1]), name: "x.pt", limits: limits)
                == .viewTooLarge(tensor: "1", bytes: 800, limit: 1000))
    }

    @Test func anEmptyFortranArrayWithHugeDimensionsReads() throws {
        // Zero elements, but the other sizes multiply past Int.max: once an overflow trap.
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0, 118, 0])
        let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (0, 1099511627776, 1099511627776), }"
        npy.append(contentsOf: Array((header + String(repeating: " ", count: 117 - header.count) + "\n").utf8))
        let file = try LatentFile.read(data: npy, fileName: "x.npy")
        #expect(file.tensors[0].tensor.shape == [0, 1 << 40, 1 << 40])
        #expect(file.tensors[0].tensor.elementCount == 0)
    }

    // MARK: - Many members, long messages

    @Test func thousandsOfNpzMembersAreIndexedOnce() throws {
        let members = try (0..<4_000).map { ("t\($0).npy", try npyScalar(Float($0))) }
        var file: LatentFile?
        let elapsed = try ContinuousClock().measure {
            file = try LatentFile.read(data: storedZip(members), fileName: "many.npz")
        }
        #expect(file?.tensors.count == 4_000)
        // Scanning every member per lookup took 28 s; indexed once, this is far below.
        #expect(elapsed < .seconds(10))
        var message = ""
        do { _ = try file?.latent(key: "nope") } catch { message = error.description }
        #expect(message.contains("t9 and 3990 more") && message.count < 300)
    }

    @Test func messagesStayShortWhateverTheFileHolds() {
        let names = (0..<100_000).map { "tensor_\($0)" }
        let ambiguous = LatentFileError.ambiguousLatent(available: names).description
        #expect(ambiguous.contains("tensor_9 and 99990 more"))
        #expect(ambiguous.count < 300 && !ambiguous.contains("\n"))
        let long = String(repeating: "x", count: 1_000_000)
        #expect(LatentFileError.forbiddenPickleGlobal(module: long, name: long).description.count < 400)
        #expect(LatentFileError.keyNotFound(key: long, available: [long]).description.count < 300)
    }
}
