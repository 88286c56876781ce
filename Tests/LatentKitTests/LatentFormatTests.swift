import Foundation
import Testing

@testable import LatentKit

@Suite struct LatentFormatTests {
    @Test func safetensorsFixtureReadsWithItsKey() throws {
        let file = try Fixtures.file("formats/latent.safetensors")
        #expect(file.format == .safetensors)
        let latent = try file.latent()
        #expect(latent.name == "latents")
        #expect(latent.tensor.shape == [1, 4, 8, 8])
        #expect(latent.tensor.dtype == .float32)
        // The seed-99 latent's first values as PyTorch printed them.
        let values = latent.tensor.floatValues()
        #expect(values[0] == 0.2994611)
        #expect(values[1] == -2.6428585)
    }

    @Test(arguments: [
        "formats/latent.npy", "formats/latent.npz", "formats/latent_deflated.npz",
        "formats/latent_tensor.pt", "formats/latent_dict.pt", "formats/comfy.latent",
    ])
    func everyFormatReadsBackTheSameValues(path: String) throws {
        let reference = try Fixtures.referenceLatent()
        let latent = try Fixtures.file(path).latent()
        #expect(latent.tensor == reference, "\(path) as \(latent.name)")
    }

    @Test func formatsAreRecognisedByContent() throws {
        #expect(try Fixtures.file("formats/latent.npy").format == .npy)
        #expect(try Fixtures.file("formats/latent.npz").format == .npz)
        #expect(try Fixtures.file("formats/latent_tensor.pt").format == .torch)
        #expect(try Fixtures.file("formats/comfy.latent").format == .comfyLatent)
        // The extension does not matter for the binary formats.
        let npy = try Fixtures.data("formats/latent.npy")
        #expect(try LatentFile.read(data: npy, fileName: "renamed.bin").format == .npy)
    }

    @Test func torchDictKeepsNonTensorValuesAsMetadata() throws {
        let file = try Fixtures.file("formats/latent_dict.pt")
        #expect(file.tensors.map(\.name) == ["latents"])
        #expect(file.metadata["step"] == "20")
    }

    @Test func torchHalfStorageReadsAsFloat16() throws {
        let latent = try Fixtures.file("formats/latent_fp16.pt").latent().tensor
        #expect(latent.dtype == .float16)
        #expect(latent == (try Fixtures.referenceLatent()).converted(to: .float16))
    }

    @Test func torchStridedViewHonoursStridesAndOffset() throws {
        let latent = try Fixtures.file("formats/latent_noncontig.pt").latent().tensor
        let reference = try Fixtures.referenceLatent().floatValues()
        #expect(latent.shape == [1, 4, 4, 8])
        // lat[:, :, ::2, :]
        var expected: [Float] = []
        for c in 0..<4 {
            for y in stride(from: 0, to: 8, by: 2) {
                let start: Int = c * 64 + y * 8
                expected.append(contentsOf: reference[start..<(start + 8)])
            }
        }
        #expect(latent.floatValues() == expected)
    }

    @Test func comfyLatentIsDiffusionSpaceAndHonoursTheMarker() throws {
        let file = try Fixtures.file("formats/comfy.latent")
        #expect(file.space == .diffusion)
        #expect(file.notes.isEmpty)
        // Without the marker, ComfyUI multiplies by 1/0.18215 on load.
        let reference = try Fixtures.referenceLatent()
        let legacy = SafetensorsWriter.encode([NamedTensor(name: "latent_tensor", tensor: reference)])
        let old = try LatentFile.read(data: legacy, fileName: "old.latent")
        #expect(old.format == .comfyLatent)
        #expect(old.notes.count == 1)
        let scaled = try old.latent().tensor.floatValues()
        let original = reference.floatValues()
        let multiplier: Float = 1 / 0.18215
        let expected = original.map { $0 * multiplier }
        #expect(scaled == expected)
    }

    /// Floats read straight from the archive's bytes equal the copied tensor's, for every dtype,
    /// also when the archive's data is a slice of a larger buffer.
    @Test func safetensorsFloatsComeStraightFromTheArchive() throws {
        let reference = try Fixtures.referenceLatent()
        let tensors = [DType.float32, .float16, .bfloat16, .uint8].map {
            NamedTensor(name: "\($0)", tensor: reference.converted(to: $0))
        }
        let padded = Data([1, 2, 3]) + SafetensorsWriter.encode(tensors)
        let archive = try SafetensorsArchive(data: padded.dropFirst(3))
        for entry in archive.entries {
            #expect(archive.floatValues(for: entry) == archive.tensor(for: entry).floatValues(), "\(entry.name)")
        }
    }

    @Test func safetensorsMetadataRoundTrips() throws {
        let latent = try Fixtures.referenceLatent().converted(to: .bfloat16)
        let data = SafetensorsWriter.encode(
            [NamedTensor(name: "latents", tensor: latent)], metadata: ["seed": "99", "quote\"d": "a\nb"])
        let file = try LatentFile.read(data: data, fileName: "x.safetensors")
        #expect(file.metadata == ["seed": "99", "quote\"d": "a\nb"])
        #expect(try file.latent().tensor == latent)
        // The header is padded so tensor data starts on an 8-byte boundary.
        #expect(Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) % 8 == 0)
    }

    @Test(arguments: [DType.float32, .float16, .uint8])
    func npyWriterRoundTripsThroughTheReader(dtype: DType) throws {
        let latent = try Fixtures.referenceLatent().converted(to: dtype)
        let data = try NumPyArray.encode(latent)
        #expect((data.count - latent.bytes.count) % 64 == 0)
        #expect(try LatentFile.read(data: data, fileName: "x.npy").latent().tensor == latent)
    }

    @Test func npyWriterMatchesNumPyByteForByte() throws {
        // latent.npy was written by numpy.save: same header, same bytes.
        let numpy = try Fixtures.data("formats/latent.npy")
        #expect(try NumPyArray.encode(try Fixtures.referenceLatent()) == numpy)
    }

    @Test func npyReadsFortranOrderAndBigEndianAndFloat64() throws {
        func npy(_ header: String, _ payload: [UInt8]) -> Data {
            var text = header
            while (10 + text.utf8.count + 1) % 64 != 0 { text += " " }
            text += "\n"
            var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
            data.append(contentsOf: [UInt8(text.utf8.count & 0xFF), UInt8(text.utf8.count >> 8)])
            data.append(contentsOf: Array(text.utf8))
            data.append(contentsOf: payload)
            return data
        }
        // [[1,2,3],[4,5,6]] stored column-major as float32.
        let fortran = [Float(1), 4, 2, 5, 3, 6].flatMap {
            withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init)
        }
        let a = try LatentFile.read(
            data: npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", fortran),
            fileName: "f.npy")
        #expect(try a.latent().tensor.floatValues() == [1, 2, 3, 4, 5, 6])
        #expect(try a.latent().tensor.shape == [2, 3])
        let big = [Float(1.5), -2].flatMap { withUnsafeBytes(of: $0.bitPattern.bigEndian, Array.init) }
        let b = try LatentFile.read(
            data: npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", big), fileName: "b.npy"
        )
        #expect(try b.latent().tensor.floatValues() == [1.5, -2])
        let wide = [Double(0.25), 3].flatMap {
            withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init)
        }
        let c = try LatentFile.read(
            data: npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }", wide),
            fileName: "c.npy")
        #expect(try c.latent().tensor.dtype == .float32)
        #expect(try c.latent().tensor.floatValues() == [0.25, 3])
    }

    @Test func keySelection() throws {
        let a = try tensor([1, 2, 3, 4], [1, 1, 2, 2])
        let b = try tensor([5, 6, 7, 8], [1, 1, 2, 2])
        let two = LatentFile(
            format: .safetensors,
            tensors: [NamedTensor(name: "noise", tensor: a), NamedTensor(name: "samples", tensor: b)])
        #expect(try two.latent().name == "samples")
        #expect(try two.latent(key: "noise").tensor == a)
        #expect(throws: LatentFileError.keyNotFound(key: "nope", available: ["noise", "samples"])) {
            try two.latent(key: "nope")
        }
        let ambiguous = LatentFile(
            format: .safetensors,
            tensors: [NamedTensor(name: "a", tensor: a), NamedTensor(name: "b", tensor: b)])
        #expect(throws: LatentFileError.ambiguousLatent(available: ["a", "b"])) {
            try ambiguous.latent()
        }
        // A lone latent-shaped tensor wins over scalars and markers.
        let scalar = try tensor([1], [1])
        let mixed = LatentFile(
            format: .safetensors,
            tensors: [
                NamedTensor(name: "step", tensor: scalar), NamedTensor(name: "whatever", tensor: a),
            ])
        #expect(try mixed.latent().name == "whatever")
        #expect(throws: LatentFileError.noTensors) {
            try LatentFile(format: .npz, tensors: []).latent()
        }
    }

    @Test func latentWriterPicksTheFormatByExtension() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "latentty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let latent = try Fixtures.referenceLatent()
        try LatentWriter.write(latent, to: directory.appendingPathComponent("a.npy"))
        try LatentWriter.write(
            latent, to: directory.appendingPathComponent("a.safetensors"), metadata: ["k": "v"])
        #expect(
            try LatentFile.read(contentsOf: directory.appendingPathComponent("a.npy")).format == .npy)
        let st = try LatentFile.read(contentsOf: directory.appendingPathComponent("a.safetensors"))
        #expect(st.metadata == ["k": "v"])
        #expect(try st.latent().tensor == latent)
    }
}

@Suite struct FormatDetectionTests {
    /// A safetensors header of 128 + 256·k bytes makes the file start with 0x80, like a pickle.
    @Test func safetensorsWhoseHeaderLengthStartsWith0x80() throws {
        let latent = try Fixtures.referenceLatent()
        var metadata: [String: String] = [:]
        var data = SafetensorsWriter.encode([NamedTensor(name: "latents", tensor: latent)])
        var padding = 0
        while data.first != 0x80 {
            padding += 1
            metadata = ["pad": String(repeating: "x", count: padding)]
            data = SafetensorsWriter.encode([NamedTensor(name: "latents", tensor: latent)], metadata: metadata)
        }
        let file = try LatentFile.read(data: data, fileName: "x.safetensors")
        #expect(file.format == .safetensors)
        #expect(try file.latent().tensor == latent)
    }
}
