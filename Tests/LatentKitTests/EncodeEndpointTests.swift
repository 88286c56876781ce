import Foundation
import Testing

@testable import LatentKit

/// Where `remote_encode` calls go: diffusers' constants for the built-in presets, `config.toml`
/// for the rest.
@Suite struct EncodeEndpointTests {
    @Test func builtinsCarryDiffusersEncodeEndpoints() {
        let host = ".us-east-1.aws.endpoints.huggingface.cloud/"
        #expect(Preset.sd15.encodeEndpoints == ["https://qc6479g0aac6qwy9" + host])
        #expect(Preset.sdxl.encodeEndpoints == ["https://xjqqhmyn62rog84g" + host])
        #expect(Preset.flux.encodeEndpoints == ["https://ptccx55jz97f9zgo" + host])
        #expect(Preset.hunyuanVideo.encodeEndpoints.isEmpty)
    }

    @Test func configSetsThemAndRefusesWhatIsNoURL() throws {
        let catalog = try PresetCatalog.parse(
            """
            [presets.sd15]
            encode_endpoint = "http://127.0.0.1:8000/encode"

            [presets.mine]
            base = "flux"
            encode_endpoints = ["http://a.invalid/encode", "http://b.invalid/encode"]
            """, path: "config.toml")
        #expect(catalog.preset(named: "sd15")?.encodeEndpoints == ["http://127.0.0.1:8000/encode"])
        #expect(catalog.preset(named: "mine")?.encodeEndpoints == ["http://a.invalid/encode", "http://b.invalid/encode"])
        #expect(
            throws: ConfigError.invalidValue(
                path: "c.toml", preset: "sd15", key: "encode_endpoints", reason: "'nowhere' is not an http(s) URL")
        ) {
            try PresetCatalog.parse("[presets.sd15]\nencode_endpoint = \"nowhere\"\n", path: "c.toml")
        }
    }

    @Test func presetsSavedBeforeEncodeEndpointsStillDecode() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(Preset.sdxl)) as? [String: Any] ?? [:]
        json["encodeEndpoints"] = nil
        let old = try JSONDecoder().decode(Preset.self, from: JSONSerialization.data(withJSONObject: json))
        var expected = Preset.sdxl
        expected.encodeEndpoints = []
        #expect(old == expected)
        #expect(try JSONDecoder().decode(Preset.self, from: JSONEncoder().encode(Preset.sdxl)) == .sdxl)
    }
}
