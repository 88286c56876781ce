import Testing

@testable import LatentKit
@testable import Wire

/// How the server reads requests, including everything a client can get wrong.
@Suite struct ServerParsingTests {
    func parse(_ query: String, bodyBytes: Int) -> Result<DecodeRequest, WireError> {
        Result { () throws(WireError) in try DecodeRequest.parse(query: query, body: [UInt8](repeating: 0, count: bodyBytes)) }
    }

    let base = "shape=1&shape=4&shape=8&shape=8&dtype=float16"

    @Test func lenientValuesLikeTheReferenceServer() throws {
        let request = try parse("output_type=pt&partial_postprocess=true&" + base + "&scaling_factor=1&do_scaling=TRUE", bodyBytes: 512)
            .get()
        #expect(request.parameters.partialPostprocess && request.parameters.doScaling)
        #expect(request.parameters.scalingFactor == 1)
        #expect(request.parameters.imageFormat == .jpg && request.parameters.outputType == .pt)
        #expect(try parse("image_format=jpeg&" + base, bodyBytes: 512).get().parameters.imageFormat == .jpg)
    }

    @Test func mistakesGetPreciseErrors() {
        #expect(parse("dtype=float16", bodyBytes: 0) == .failure(.missingParameter("shape")))
        #expect(parse("shape=1&shape=4&shape=8&shape=8", bodyBytes: 512) == .failure(.missingParameter("dtype")))
        #expect(parse("shape=1&shape=4&shape=8&shape=8&dtype=float64", bodyBytes: 512) == .failure(.unknownDType("float64")))
        #expect(parse("shape=1&shape=4&shape=8&shape=8&dtype=uint8", bodyBytes: 256) == .failure(.unknownDType("uint8")))
        #expect(
            parse(base, bodyBytes: 100) == .failure(.bodyLengthMismatch(shape: [1, 4, 8, 8], dtype: .float16, expected: 512, actual: 100)))
        #expect(
            parse("shape=1&shape=x&shape=8&shape=8&dtype=float16", bodyBytes: 512)
                == .failure(.badParameter(name: "shape", value: "x", expected: "a positive integer")))
        #expect(
            parse("shape=8&dtype=float16", bodyBytes: 16)
                == .failure(.badParameter(name: "shape", value: "[8]", expected: "3-D (packed), 4-D (image) or 5-D (video)")))
        #expect(
            parse("output_type=gif&" + base, bodyBytes: 512)
                == .failure(.badParameter(name: "output_type", value: "gif", expected: "pil, pt or mp4")))
        #expect(
            parse("partial_postprocess=maybe&" + base, bodyBytes: 512)
                == .failure(.badParameter(name: "partial_postprocess", value: "maybe", expected: "True or False")))
        #expect(
            parse(base + "&scaling_factor=-1", bodyBytes: 512)
                == .failure(.badParameter(name: "scaling_factor", value: "-1", expected: "a positive number")))
        #expect(
            parse(base + "&scaling_factor=nan", bodyBytes: 512)
                == .failure(.badParameter(name: "scaling_factor", value: "nan", expected: "a number")))
        #expect(
            parse("shape=1&shape=16&shape=64&dtype=bfloat16", bodyBytes: 2048)
                == .failure(.missingParameter("height and width (required for packed 3-D latents)")))
        #expect(
            parse("shape=1048576&shape=1048576&shape=1048576&shape=1048576&dtype=float32", bodyBytes: 4)
                == .failure(
                    .badParameter(name: "shape", value: "[1048576, 1048576, 1048576, 1048576]", expected: "a shape that fits in memory")))
        #expect(
            parse("%%%garbage&&&=&shape", bodyBytes: 0) == .failure(.badParameter(name: "shape", value: "", expected: "a positive integer"))
        )
    }

    @Test func queryStringsRoundTrip() {
        let items = [QueryItem("a b", "x&y=z"), QueryItem("shape", "1"), QueryItem("k", "é/%")]
        #expect(QueryString.decode(QueryString.encode(items)) == items)
        #expect(QueryString.encode([QueryItem("v", "a b")]) == "v=a+b")
        #expect(QueryString.decode("a=%ZZ&b") == [QueryItem("a", "%ZZ"), QueryItem("b", "")])
    }
}
