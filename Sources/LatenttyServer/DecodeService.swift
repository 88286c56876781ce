import DecodePipeline
import Foundation
import LatentKit
import NativeVAE
import Wire

/// The decode side of the Hybrid Inference protocol as a pure function of query, Accept and body:
/// parse the request, pick the preset, check the work it asks for, and hand it to the same
/// `LocalDecoder` the workbench and `decode --local` use. Everything a client can get wrong
/// becomes a 4xx with a JSON reason.
public struct DecodeService: Sendable {
    public let decoder: LocalDecoder
    /// Fixes the preset; nil means each request's shape picks one.
    public let preset: Preset?
    public let catalog: PresetCatalog
    /// The most memory one request may ask its decode for (see `WorkEstimate`); the server sets
    /// it from `ServerConfiguration.maxWorkBytes`.
    public var maxWorkBytes = Int.max

    public init(engine: any DecodeEngine, preset: Preset? = nil, catalog: PresetCatalog = PresetCatalog()) {
        self.decoder = LocalDecoder(engine: engine)
        self.preset = preset
        self.catalog = catalog
    }

    public func handle(query: String, accept: String?, body: [UInt8]) -> WireResponse {
        let request: DecodeRequest
        do {
            request = try DecodeRequest.parse(query: query, body: body)
        } catch {
            return ErrorBody.response(status: 400, message: error.description)
        }
        guard let preset = preset ?? Preset.suggestions(for: request.parameters.shape, among: catalog.presets).first else {
            return ErrorBody.response(
                status: 400,
                message: "no preset takes a latent of shape \(request.parameters.shape.shapeText); start the server with --preset")
        }
        if let work = WorkEstimate(request.parameters, preset: preset), work.bytes > maxWorkBytes {
            return Self.tooMuchWork(work, limit: maxWorkBytes)
        }
        do {
            return try decoder.decode(request, preset: preset, accept: accept, others: catalog.presets).payload.wireResponse
        } catch {
            return ErrorBody.response(status: Self.status(of: error), message: error.description)
        }
    }

    /// 422: the request is well formed, but what it asks for is over this server's limit.
    static func tooMuchWork(_ work: WorkEstimate, limit: Int) -> WireResponse {
        let shape = work.outputShape
        let frames = shape[2] > 1 ? "\(shape[2]) frames of " : ""
        return ErrorBody.response(
            status: 422,
            message:
                "this request asks for \(shape[0]) × \(frames)\(shape[4])×\(shape[3]) pixels, about \(ByteCount.text(work.bytes)) to decode and answer; this server's limit is \(ByteCount.text(limit)) per request (--max-work-mb): send a smaller latent, fewer frames, or split the batch"
        )
    }

    /// A request the engine cannot take is the client's to fix (400); failing to encode an answer is ours (500).
    static func status(of failure: DecodeFailure) -> Int {
        switch failure {
        case .invalidRequest, .engine: 400
        case .encoding: 500
        }
    }
}
