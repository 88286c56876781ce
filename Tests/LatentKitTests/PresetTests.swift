import Foundation
import Testing

@testable import LatentKit

@Suite struct PresetTests {
    @Test func builtinsCarryTheDesignNumbers() {
        #expect(Preset.builtins.map(\.id) == ["sd15", "sdxl", "flux", "hunyuanvideo"])
        #expect(Preset.sd15.scalingFactor == 0.18215 && Preset.sd15.shiftFactor == nil)
        #expect(Preset.sdxl.scalingFactor == 0.13025)
        #expect(
            Preset.flux.latentChannels == 16 && Preset.flux.shiftFactor == 0.1159 && Preset.flux.packed)
        #expect(
            Preset.hunyuanVideo.temporalFactor == 4 && Preset.hunyuanVideo.scalingFactor == 0.476986)
    }

    @Test func validationMessagesSayWhatToDo() {
        #expect(throws: PresetMismatch.self) {
            try Preset.flux.layout(of: [1, 4, 64, 64], dtype: .float32)
        }
        do {
            _ = try Preset.flux.layout(of: [1, 4, 64, 64], dtype: .float32)
        } catch {
            #expect(error.description == "Flux expects 16 channels; this latent has 4 — SD v1.5 or SDXL?")
        }
        do {
            _ = try Preset.sd15.layout(of: [1, 4096, 64], dtype: .float16)
        } catch {
            #expect(
                error.description.contains("3-D [1, 4096, 64]") && error.description.hasSuffix("— Flux?"))
        }
        do {
            _ = try Preset.hunyuanVideo.layout(of: [1, 16, 64, 64], dtype: .float32)
        } catch {
            #expect(
                error.description.hasPrefix("HunyuanVideo expects a 5-D video latent")
                    && error.description.hasSuffix("— Flux?"))
        }
        #expect(throws: PresetMismatch.notFloatingPoint(preset: "SD v1.5", dtype: .uint8)) {
            try Preset.sd15.layout(of: [1, 4, 8, 8], dtype: .uint8)
        }
        #expect(throws: PresetMismatch.wrongPackedFeatures(preset: "Flux", expected: 64, actual: 16)) {
            try Preset.flux.layout(of: [1, 256, 16], dtype: .float32)
        }
        #expect(throws: PresetMismatch.emptyDimension(shape: [1, 4, 0, 8])) {
            try Preset.sd15.layout(of: [1, 4, 0, 8], dtype: .float32)
        }
    }

    @Test func layoutsForEachKind() throws {
        #expect(
            try Preset.sd15.layout(of: [2, 4, 64, 96], dtype: .float16)
                == .image(batch: 2, channels: 4, height: 64, width: 96))
        #expect(
            try Preset.flux.layout(of: [1, 4096, 64], dtype: .bfloat16)
                == .packed(batch: 1, tokens: 4096, features: 64))
        #expect(
            try Preset.hunyuanVideo.layout(of: [1, 16, 16, 40, 64], dtype: .float16)
                == .video(batch: 1, channels: 16, frames: 16, height: 40, width: 64))
    }

    @Test func suggestionsRankBySize() {
        #expect(Preset.suggestions(for: [1, 4, 64, 64]).map(\.id) == ["sd15", "sdxl"])
        #expect(Preset.suggestions(for: [1, 4, 128, 128]).map(\.id) == ["sdxl", "sd15"])
        #expect(Preset.suggestions(for: [1, 16, 128, 128]).map(\.id) == ["flux"])
        #expect(Preset.suggestions(for: [1, 4096, 64]).map(\.id) == ["flux"])
        #expect(Preset.suggestions(for: [1, 16, 16, 90, 160]).map(\.id) == ["hunyuanvideo"])
        #expect(Preset.suggestions(for: [1, 3, 64, 64]).isEmpty)
    }

    @Test func scalingIsExplicitAndInvertible() throws {
        let diffusion = try tensor([0, 0.3611, -0.7222], [3])
        let vae = Preset.flux.toVAESpace(diffusion).floatValues()
        #expect(vae.map { ($0 * 1e4).rounded() / 1e4 } == [0.1159, 1.1159, -1.8841])
        let back = Preset.flux.toDiffusionSpace(Preset.flux.toVAESpace(diffusion)).floatValues()
        for (a, b) in zip(back, diffusion.floatValues()) { #expect(abs(a - b) < 1e-6) }
    }

    @Test func generationShapes() throws {
        #expect(
            try GenerationRequest(preset: .sd15, width: 512, height: 768).sampleShape() == [1, 4, 96, 64])
        #expect(
            try GenerationRequest(preset: .sdxl, width: 1024, height: 1024, batch: 2).sampleShape() == [
                2, 4, 128, 128,
            ])
        #expect(
            try GenerationRequest(preset: .flux, width: 1024, height: 1024).sampleShape() == [
                1, 16, 128, 128,
            ])
        #expect(
            try GenerationRequest(preset: .hunyuanVideo, width: 512, height: 320, frames: 61)
                .sampleShape() == [1, 16, 16, 40, 64])
        #expect(
            throws: GenerationError.sizeNotMultiple(
                preset: "Flux", width: 1000, height: 1024, multiple: 16)
        ) {
            try GenerationRequest(preset: .flux, width: 1000, height: 1024).sampleShape()
        }
        #expect(throws: GenerationError.badFrameCount(preset: "HunyuanVideo", frames: 60, factor: 4)) {
            try GenerationRequest(preset: .hunyuanVideo, width: 512, height: 512, frames: 60)
                .sampleShape()
        }
        #expect(
            GenerationError.badFrameCount(preset: "HunyuanVideo", frames: 60, factor: 4).description
                .contains("try 57 or 61"))
        #expect(throws: GenerationError.framesNotAllowed(preset: "SD v1.5")) {
            try GenerationRequest(preset: .sd15, width: 512, height: 512, frames: 5).sampleShape()
        }
        #expect(throws: GenerationError.packingNotSupported(preset: "SDXL")) {
            try GenerationRequest(preset: .sdxl, width: 512, height: 512, packed: true).sampleShape()
        }
        #expect(try GenerationRequest.parseSize("768x512") == (768, 512))
        #expect(throws: GenerationError.badSize("512")) { try GenerationRequest.parseSize("512") }
    }

    @Test func warningsSpotUnscaledAndBrokenLatents() throws {
        var generator = TorchGenerator(seed: 3)
        let noise = try generator.randn(shape: [1, 4, 32, 32])
        #expect(LatentWarning.check(noise.stats(), preset: .sd15).isEmpty)
        let raw = Preset.sd15.toVAESpace(noise)
        let warnings = LatentWarning.check(raw.stats(), preset: .sd15)
        #expect(warnings.count == 1)
        #expect(warnings.first?.description.hasPrefix("looks unscaled") == true)
        #expect(LatentWarning.check(raw.stats(), preset: .sd15, space: .vae).isEmpty)
        let twice = Preset.sd15.toDiffusionSpace(noise)
        #expect(
            LatentWarning.check(twice.stats(), preset: .sd15).first?.description.hasPrefix(
                "looks scaled twice") == true)
        let broken = try tensor([1, .nan, .infinity, 2], [4])
        #expect(LatentWarning.check(broken.stats(), preset: .sd15) == [.nonFinite(nan: 1, inf: 1)])
        #expect(LatentWarning.check(try tensor([0, 0, 0], [3]).stats(), preset: nil) == [.allZero])
    }

    @Test func reportCombinesEverything() throws {
        let file = try Fixtures.file("formats/latent_dict.pt")
        let report = try LatentReport(file: file, key: nil, preset: .flux, catalog: PresetCatalog())
        #expect(report.latentKey == "latents")
        #expect(report.suggestedPresets == ["sd15", "sdxl"])
        #expect(report.preset == "flux")
        #expect(
            report.presetMismatch == "Flux expects 16 channels; this latent has 4 — SD v1.5 or SDXL?")
        #expect(report.channels.count == 4)
        #expect(report.metadata["step"] == "20")
    }
}
