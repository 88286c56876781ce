import Foundation
import Wire

/// Where a redirect answer points, and whether following it keeps the request on the endpoint's
/// own host: a latent (and a token) sent wherever a 3xx says could leak to a third party.
enum Redirect {
    static let maxHops = 5
    static let statuses: Set<Int> = [301, 302, 303, 307, 308]

    /// The absolute http(s) URL `response` redirects to, if it is a redirect at all.
    static func target(of response: WireResponse, from url: String) -> String? {
        guard statuses.contains(response.status), let location = response.headers["Location"],
            let base = URL(string: url), let resolved = URL(string: location, relativeTo: base)?.absoluteURL,
            let scheme = resolved.scheme?.lowercased(), scheme == "http" || scheme == "https", resolved.host != nil
        else { return nil }
        return resolved.absoluteString
    }

    /// Same scheme, host and port (a missing port is the scheme's default).
    static func sameOrigin(_ first: String, _ second: String) -> Bool {
        guard let a = URLComponents(string: first), let b = URLComponents(string: second) else { return false }
        func port(_ components: URLComponents) -> Int? { components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }
}
