import CSpng
import Glibc

/// PNG through libspng, with text chunks for metadata.
public enum PNGCodec {
    /// Writes `text` as tEXt chunks (iTXt, which is UTF-8, when a value is not Latin-1).
    public static func encode(_ image: RGBImage, text: [(key: String, value: String)] = [])
        throws(ImageCodecError) -> [UInt8]
    {
        guard let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else {
            throw .png("cannot create an encoder")
        }
        defer { spng_ctx_free(context) }
        spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1)
        var header = spng_ihdr(
            width: UInt32(image.width), height: UInt32(image.height), bit_depth: 8,
            color_type: UInt8(SPNG_COLOR_TYPE_TRUECOLOR.rawValue), compression_method: 0,
            filter_method: 0, interlace_method: 0)
        try check(spng_set_ihdr(context, &header))

        var chunks: [spng_text] = []
        var allocations: [UnsafeMutablePointer<CChar>] = []
        defer { allocations.forEach { free($0) } }
        for (key, value) in text {
            var chunk = spng_text()
            let keyword = Array(
                key.unicodeScalars.filter { $0.value >= 0x20 && $0.value <= 0xFF }.prefix(79).map {
                    UInt8($0.value)
                })
            guard !keyword.isEmpty else { continue }
            withUnsafeMutableBytes(of: &chunk.keyword) { raw in
                raw.copyBytes(from: keyword)
                raw[keyword.count] = 0
            }
            let latin1 = value.unicodeScalars.allSatisfy { $0.value <= 0xFF }
            let encoded: [UInt8] =
                latin1 ? value.unicodeScalars.map { UInt8($0.value) } : Array(value.utf8)
            guard let copy = malloc(encoded.count + 1)?.assumingMemoryBound(to: CChar.self) else {
                throw .png("out of memory")
            }
            allocations.append(copy)
            encoded.withUnsafeBytes {
                UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress!, byteCount: encoded.count)
            }
            copy[encoded.count] = 0
            chunk.type = Int32(latin1 ? SPNG_TEXT.rawValue : SPNG_ITXT.rawValue)
            chunk.length = encoded.count
            chunk.text = copy
            if !latin1 {
                let empty = strdup("")!
                allocations.append(empty)
                chunk.language_tag = empty
                chunk.translated_keyword = empty
            }
            chunks.append(chunk)
        }
        if !chunks.isEmpty {
            try check(spng_set_text(context, &chunks, UInt32(chunks.count)))
        }
        try check(
            image.pixels.withUnsafeBytes { pixels in
                spng_encode_image(
                    context, pixels.baseAddress, pixels.count, Int32(SPNG_FMT_PNG.rawValue),
                    Int32(SPNG_ENCODE_FINALIZE.rawValue))
            })
        var length = 0
        var error: Int32 = 0
        guard let buffer = spng_get_png_buffer(context, &length, &error) else {
            throw .png(String(cString: spng_strerror(error)))
        }
        defer { free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length).bindMemory(to: UInt8.self))
    }

    public struct Decoded: Sendable, Equatable {
        public let image: RGBImage
        public let text: [String: String]
    }

    public static func decode(_ bytes: [UInt8]) throws(ImageCodecError) -> Decoded {
        guard let context = spng_ctx_new(0) else { throw .png("cannot create a decoder") }
        defer { spng_ctx_free(context) }
        try check(
            spng_set_image_limits(context, UInt32(ImageLimits.maxSide), UInt32(ImageLimits.maxSide)))
        // Ancillary chunks (text, ICC…) may not make a hostile file allocate without bound.
        try check(spng_set_chunk_limits(context, 16 << 20, 64 << 20))
        // libspng reads from this buffer during every call below, so it must outlive them all.
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        defer { input.deallocate() }
        input.copyBytes(from: bytes)
        try check(spng_set_png_buffer(context, input.baseAddress, bytes.count))
        var header = spng_ihdr()
        try check(spng_get_ihdr(context, &header))
        // Deflate packs at most 1,032 bytes into one, so rows of raw samples beyond that many times
        // the file cannot be in it: refuse before allocating for them.
        let channels: UInt64 = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][header.color_type] ?? 4
        let rowBytes = (UInt64(header.width) * channels * UInt64(header.bit_depth) + 7) / 8 + 1
        guard rowBytes * UInt64(header.height) <= 1032 * UInt64(bytes.count) else {
            throw .moreThanItsBytesHold(width: Int(header.width), height: Int(header.height), bytes: bytes.count)
        }
        var size = 0
        try check(spng_decoded_image_size(context, Int32(SPNG_FMT_RGB8.rawValue), &size))
        var pixels = [UInt8](repeating: 0, count: size)
        try check(
            pixels.withUnsafeMutableBytes { out in
                spng_decode_image(context, out.baseAddress, out.count, Int32(SPNG_FMT_RGB8.rawValue), 0)
            })
        let image = try RGBImage(width: Int(header.width), height: Int(header.height), pixels: pixels)
        return Decoded(image: image, text: readText(context))
    }

    private static func readText(_ context: OpaquePointer) -> [String: String] {
        var count: UInt32 = 0
        guard spng_get_text(context, nil, &count) == 0, count > 0 else { return [:] }
        var chunks = [spng_text](repeating: spng_text(), count: Int(count))
        guard spng_get_text(context, &chunks, &count) == 0 else { return [:] }
        var result: [String: String] = [:]
        for var chunk in chunks.prefix(Int(count)) {
            let key = withUnsafeBytes(of: &chunk.keyword) { raw in
                latin1(raw.prefix { $0 != 0 })
            }
            guard let text = chunk.text else { continue }
            let bytes = UnsafeRawBufferPointer(start: text, count: chunk.length).map { $0 }
            result[key] =
                chunk.type == Int32(SPNG_ITXT.rawValue)
                ? String(decoding: bytes, as: UTF8.self) : latin1(bytes)
        }
        return result
    }

    private static func latin1(_ bytes: some Sequence<UInt8>) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func check(_ status: Int32) throws(ImageCodecError) {
        guard status == 0 else {
            let message = String(cString: spng_strerror(status))
            if status == SPNG_IO_EOF.rawValue { throw .cutShort(format: "PNG", detail: message) }
            throw .png(message)
        }
    }
}
