import DecodePipeline
import Foundation
import LatentKit
import NativeVAE
import Wire

/// The decode side of the Hybrid Inference protocol as a pure function of query, Accept and body:
/// parse the request, pick the preset, and hand it to the same `LocalDecoder` the workbench and
/// `decode --local` use. Everything a client can get wrong becomes a 400 with a JSON reason.
public struct DecodeService: Sendable {
    public let decoder: LocalDecoder
    /// Fixes the preset; nil means each request's shape picks one.
    public let preset: Preset?
    public let catalog: PresetCatalog

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
        do {
            return try decoder.decode(request, preset: preset, accept: accept, others: catalog.presets).payload.wireResponse
        } catch {
            return ErrorBody.response(status: Self.status(of: error), message: error.description)
        }
    }

    /// A request the engine cannot take is the client's to fix (400); failing to encode an answer is ours (500).
    static func status(of failure: DecodeFailure) -> Int {
        switch failure {
        case .invalidRequest, .engine: 400
        case .encoding: 500
        }
    }
}
