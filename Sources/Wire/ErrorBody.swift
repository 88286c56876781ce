import Foundation

/// Turns an endpoint's error answer — the reference server's JSON `{"error": …}`, a hosted endpoint's
/// JSON or HTML page, or plain text — into one readable sentence.
public enum ErrorBody {
    static func check(_ response: WireResponse) throws(WireError) {
        guard (200..<300).contains(response.status) else {
            throw .server(status: response.status, message: message(from: response))
        }
    }

    public static func message(from response: WireResponse) -> String {
        let text = String(decoding: response.body.prefix(64 << 10), as: UTF8.self)
        if let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            for key in ["error", "message", "detail", "msg"] {
                if let value = object[key] as? String { return clean(value) }
                if let value = object[key] as? [String: Any], let inner = value["message"] as? String { return clean(inner) }
            }
            return clean(text)
        }
        if looksLikeHTML(text) {
            return htmlSummary(text)
        }
        return clean(text)
    }

    /// What came back, for "expected X but the endpoint sent Y".
    static func describe(_ response: WireResponse) -> String {
        let body = response.body
        if body.isEmpty { return "an empty body" }
        let text = String(decoding: body.prefix(64 << 10), as: UTF8.self)
        if looksLikeHTML(text) { return "an HTML page (\(htmlSummary(text)))" }
        if text.hasPrefix("{") { return "JSON: \(clean(text))" }
        let type = response.headers["Content-Type"].map { " of \($0)" } ?? ""
        return "\(body.count) bytes\(type)"
    }

    static func looksLikeHTML(_ text: String) -> Bool {
        let start = text.prefix(512).lowercased()
        return start.contains("<html") || start.contains("<!doctype html") || start.contains("<title")
    }

    /// The page's title, else its first heading, else its text with tags stripped.
    static func htmlSummary(_ html: String) -> String {
        for tag in ["title", "h1"] {
            if let open = html.range(of: "<\(tag)", options: .caseInsensitive),
                let close = html.range(of: ">", range: open.upperBound..<html.endIndex),
                let end = html.range(of: "</\(tag)>", options: .caseInsensitive, range: close.upperBound..<html.endIndex)
            {
                let inner = clean(stripTags(String(html[close.upperBound..<end.lowerBound])))
                if !inner.isEmpty { return inner }
            }
        }
        return clean(stripTags(html))
    }

    static func stripTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for character in html {
            if character == "<" {
                inTag = true
            } else if character == ">" {
                inTag = false
                out.append(" ")
            } else if !inTag {
                out.append(character)
            }
        }
        return out
    }

    /// One line, no runs of white space, at most 300 characters.
    static func clean(_ text: String) -> String {
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        let line = words.joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }

    /// The reference server's error answer.
    public static func response(status: Int, message: String) -> WireResponse {
        let data = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data("{}".utf8)
        return WireResponse(status: status, headers: [Header("Content-Type", "application/json")], body: Array(data))
    }
}
