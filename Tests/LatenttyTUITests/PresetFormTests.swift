import Foundation
import Testing

@testable import LatentKit
@testable import LatenttyTUI
@testable import Workbench

/// The preset editor validates and saves.
@Suite struct PresetFormTests {
    @Test func presetFormEditsAndSaves() {
        var s = Fixtures.state()
        s.focus = .presets
        Fixtures.run(&s, .command(.editPreset))
        guard case .presetForm(let form) = s.overlay else {
            Issue.record("preset form expected")
            return
        }
        #expect(form.endpoint.text == Preset.sd15.endpoints[0])
        for _ in 0..<form.endpoint.text.count { Fixtures.run(&s, .backspace) }
        for c in "http://127.0.0.1:8000/" { Fixtures.run(&s, .text(c)) }
        Fixtures.run(
            &s, .command(.nextPane), .command(.right), .command(.nextPane), .command(.right), .command(.nextPane), .backspace, .text("4"))
        let effects = Fixtures.run(&s, .command(.activate))
        guard case .savePreset(let saved)? = effects.first else {
            Issue.record("save expected, got \(effects)")
            return
        }
        #expect(saved.outputType == .pt && saved.imageFormat == .png && saved.concurrency == 4)
        #expect(saved.id == "sd15" && saved.endpoints == ["http://127.0.0.1:8000/"])
        #expect(s.presets[0].endpoints == ["http://127.0.0.1:8000/"] && s.concurrency["sd15"] == 4)
        Fixtures.run(&s, .command(.editPreset))
        for c in "x" { Fixtures.run(&s, .text(c)) }
        #expect(Fixtures.run(&s, .command(.nextPane), .command(.nextPane), .command(.nextPane), .backspace, .command(.activate)).isEmpty)
        #expect(s.status?.text == "concurrency must be 1…64")
    }
}
