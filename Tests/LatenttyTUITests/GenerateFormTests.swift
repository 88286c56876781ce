import Testing

@testable import LatentKit
@testable import LatenttyTUI

/// The generate dialog follows the preset's size until a size is typed, and remembers what it made.
@Suite struct GenerateFormTests {
    func form(_ s: AppState) -> GenerateForm? {
        if case .generate(let form) = s.overlay { return form }
        return nil
    }

    @Test func eachPresetBringsItsDefaultSize() {
        #expect(GenerateForm.defaultSize(for: .sd15) == "512x512")
        #expect(GenerateForm.defaultSize(for: .sdxl) == "1024x1024")
        #expect(GenerateForm.defaultSize(for: .flux) == "1024x1024")
        #expect(GenerateForm.defaultSize(for: .hunyuanVideo) == "1280x720")
        var s = Fixtures.state()
        Fixtures.run(&s, .command(.generate), .command(.previousPane))
        var sizes: [String] = []
        for _ in 0..<4 {
            Fixtures.run(&s, .command(.right))
            sizes.append(form(s)?.size.text ?? "")
        }
        #expect(sizes == ["1024x1024", "1024x1024", "1280x720", "512x512"])
    }

    @Test func aTypedSizeSurvivesAPresetChange() {
        var s = Fixtures.state()
        Fixtures.run(&s, .command(.generate), .backspace, .backspace, .backspace, .text("2"), .text("5"), .text("6"))
        #expect(form(s)?.size.text == "512x256")
        Fixtures.run(&s, .command(.previousPane), .command(.right))
        #expect(form(s)?.size.text == "512x256" && form(s)?.presetIndex == 1)
    }

    @Test func reopeningStartsFromTheLastValuesUsed() {
        var s = Fixtures.state()
        Fixtures.run(&s, .command(.generate), .command(.previousPane), .command(.right), .command(.right))
        Fixtures.run(&s, .command(.nextPane), .command(.nextPane), .command(.nextPane), .backspace, .text("9"))
        #expect(Fixtures.run(&s, .command(.activate)).count == 1)
        Fixtures.run(&s, .command(.generate))
        let reopened = form(s)
        #expect(reopened?.presetIndex == 2 && reopened?.size.text == "1024x1024" && reopened?.seed.text == "9")
        #expect(reopened?.focus == .size)
        // Cancelling does not count as using them.
        Fixtures.run(&s, .backspace, .command(.back), .command(.generate))
        #expect(form(s)?.size.text == "1024x1024")
    }

    @Test func generateDialogValidatesAndRequests() {
        var s = Fixtures.state()
        #expect(Fixtures.run(&s, .command(.generate)).isEmpty)
        guard case .generate(let form) = s.overlay else {
            Issue.record("generate dialog expected")
            return
        }
        #expect(form.focus == .size && form.size.text == "512x512")
        // preset field: → moves to SDXL, which brings its 1024x1024; seed 7; count 2; dtype ← to float32.
        Fixtures.run(&s, .command(.previousPane), .command(.right), .command(.nextPane))
        Fixtures.run(
            &s, .command(.nextPane), .command(.nextPane), .backspace, .text("7"), .command(.nextPane), .backspace, .text("2"),
            .command(.nextPane), .command(.left))
        let effects = Fixtures.run(&s, .command(.activate))
        #expect(
            effects == [
                .generate(
                    GenerateRequest(presetID: "sdxl", width: 1024, height: 1024, frames: nil, seed: 7, count: 2, dtype: .float32),
                    presets: s.presets)
            ])
        #expect(s.overlay == nil)
        Fixtures.run(&s, .command(.generate), .backspace, .text("1"), .command(.activate))
        #expect(s.status?.kind == .error && s.status?.text.contains("multiple of 8") == true)
    }
}
