import Testing

@testable import LatentKit

/// `graphics = "…"` in config.toml: the same words as `--graphics`, anything else named as a mistake.
@Suite struct GraphicsSettingTests {
    @Test func eachChoiceIsRead() throws {
        for choice in ["auto", "kitty", "iterm2", "sixel", "blocks", "none"] {
            #expect(try Settings.parse("graphics = \"\(choice)\"\n", path: "c.toml").graphics == choice)
        }
        #expect(try Settings.parse("theme = \"nord\"\n", path: "c.toml").graphics == nil)
    }

    @Test func anUnknownProtocolIsAnError() {
        #expect(
            throws: ConfigError.invalidValue(
                path: "c.toml", preset: "(top level)", key: "graphics",
                reason: "'sixels' is not one of auto, kitty, iterm2, sixel, blocks, none")
        ) { try Settings.parse("graphics = \"sixels\"\n", path: "c.toml") }
        #expect(throws: ConfigError.wrongType(path: "c.toml", preset: "(top level)", key: "graphics", expected: "a string")) {
            try Settings.parse("graphics = true\n", path: "c.toml")
        }
    }

    @Test func theMessageNamesTheFileKeyAndChoices() {
        let error = ConfigError.invalidValue(
            path: "c.toml", preset: "(top level)", key: "graphics",
            reason: "'sixels' is not one of auto, kitty, iterm2, sixel, blocks, none")
        #expect(error.description == "c.toml: 'graphics' in the top level: 'sixels' is not one of auto, kitty, iterm2, sixel, blocks, none")
    }
}
