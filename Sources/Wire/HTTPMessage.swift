/// One query parameter, kept in order: diffusers repeats `shape` once per dimension.
public struct QueryItem: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A header name and value; lookups are case-insensitive as HTTP requires.
public struct Header: Sendable, Equatable {
    public let name: String
    public let value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == Header {
    public subscript(name: String) -> String? {
        first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}

extension String {
    func caseInsensitiveEquals(_ other: String) -> Bool {
        count == other.count && lowercased() == other.lowercased()
    }
}

/// A request as bytes on the wire, before any transport touches it.
public struct WireRequest: Sendable, Equatable {
    public var method: String
    /// Appended to the endpoint's own path (`/` for decode; the endpoint decides).
    public var query: [QueryItem]
    public var headers: [Header]
    public var body: [UInt8]

    public init(method: String = "POST", query: [QueryItem], headers: [Header], body: [UInt8]) {
        self.method = method
        self.query = query
        self.headers = headers
        self.body = body
    }

    public var queryString: String { QueryString.encode(query) }

    /// `endpoint` with this request's query string; an endpoint's own query (if any) comes first.
    public func url(endpoint: String) -> String {
        guard !query.isEmpty else { return endpoint }
        return endpoint + (endpoint.contains("?") ? "&" : "?") + queryString
    }
}

/// A response as received: status, headers, body.
public struct WireResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [Header]
    public var body: [UInt8]

    public init(status: Int, headers: [Header], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Query strings as Python's `urllib.parse.urlencode` writes them for these values, and parsed back.
public enum QueryString {
    static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    public static func encode(_ items: [QueryItem]) -> String {
        items.map { "\(escape($0.name))=\(escape($0.value))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else if byte == 0x20 {
                out += "+"
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    public static func decode(_ query: String) -> [QueryItem] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = parts.count > 1 ? String(parts[1]) : ""
            return QueryItem(unescape(String(parts[0])), unescape(value))
        }
    }

    static func unescape(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                let high = iterator.next()
                let low = iterator.next()
                if let high, let low, let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                    bytes.append(value)
                } else {
                    bytes.append(byte)
                    if let high { bytes.append(high) }
                    if let low { bytes.append(low) }
                }
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
