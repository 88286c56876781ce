/// The tiny subset of Python literal syntax that `.npy` headers use (`{'descr': '<f4',
/// 'fortran_order': False, 'shape': (1, 4, 8, 8), }`). Hand-written because no package parses
/// Python literals, and `eval` is exactly what a file reader must never do.
indirect enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case none
    case sequence([PythonLiteral])
    case dictionary([(String, PythonLiteral)])

    static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.boolean(let a), .boolean(let b)): a == b
        case (.none, .none): true
        case (.sequence(let a), .sequence(let b)): a == b
        case (.dictionary(let a), .dictionary(let b)):
            a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    struct SyntaxError: Error {
        let message: String
    }

    static func parse(_ text: String) throws(SyntaxError) -> PythonLiteral {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == parser.scalars.count else {
            throw SyntaxError(message: "unexpected text after the literal")
        }
        return value
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        var position = 0

        mutating func skipSpace() {
            while position < scalars.count, scalars[position].properties.isWhitespace { position += 1 }
        }

        mutating func value(depth: Int) throws(SyntaxError) -> PythonLiteral {
            guard depth < 32 else { throw SyntaxError(message: "nesting too deep") }
            skipSpace()
            guard position < scalars.count else { throw SyntaxError(message: "unexpected end") }
            switch scalars[position] {
            case "{": return try dictionary(depth: depth)
            case "(": return .sequence(try items(closing: ")", depth: depth))
            case "[": return .sequence(try items(closing: "]", depth: depth))
            case "'", "\"": return .string(try string())
            default: return try word()
            }
        }

        mutating func items(closing: Unicode.Scalar, depth: Int) throws(SyntaxError) -> [PythonLiteral] {
            position += 1
            var result: [PythonLiteral] = []
            while true {
                skipSpace()
                if position < scalars.count, scalars[position] == closing {
                    position += 1
                    return result
                }
                result.append(try value(depth: depth + 1))
                skipSpace()
                guard position < scalars.count else { throw SyntaxError(message: "unclosed sequence") }
                if scalars[position] == "," {
                    position += 1
                } else if scalars[position] != closing {
                    throw SyntaxError(message: "expected ',' in a sequence")
                }
            }
        }

        mutating func dictionary(depth: Int) throws(SyntaxError) -> PythonLiteral {
            position += 1
            var result: [(String, PythonLiteral)] = []
            while true {
                skipSpace()
                guard position < scalars.count else { throw SyntaxError(message: "unclosed dict") }
                if scalars[position] == "}" {
                    position += 1
                    return .dictionary(result)
                }
                guard case .string(let key) = try value(depth: depth + 1) else {
                    throw SyntaxError(message: "dict keys must be strings")
                }
                skipSpace()
                guard position < scalars.count, scalars[position] == ":" else {
                    throw SyntaxError(message: "expected ':'")
                }
                position += 1
                result.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard position < scalars.count else { throw SyntaxError(message: "unclosed dict") }
                if scalars[position] == "," {
                    position += 1
                } else if scalars[position] != "}" {
                    throw SyntaxError(message: "expected ',' in a dict")
                }
            }
        }

        mutating func string() throws(SyntaxError) -> String {
            let quote = scalars[position]
            position += 1
            var text = String.UnicodeScalarView()
            while position < scalars.count {
                let scalar = scalars[position]
                position += 1
                if scalar == quote { return String(text) }
                if scalar == "\\", position < scalars.count {
                    text.append(scalars[position])
                    position += 1
                } else {
                    text.append(scalar)
                }
            }
            throw SyntaxError(message: "unterminated string")
        }

        mutating func word() throws(SyntaxError) -> PythonLiteral {
            let start = position
            while position < scalars.count,
                scalars[position].properties.isAlphabetic || ("0"..."9").contains(scalars[position])
                    || scalars[position] == "-" || scalars[position] == "_"
            {
                position += 1
            }
            let token = String(String.UnicodeScalarView(scalars[start..<position]))
            switch token {
            case "True": return .boolean(true)
            case "False": return .boolean(false)
            case "None": return .none
            default:
                // Python 2 era headers may write longs as `64L`.
                let digits = token.hasSuffix("L") ? String(token.dropLast()) : token
                guard let number = Int(digits) else { throw SyntaxError(message: "unexpected '\(token.clipped)'") }
                return .integer(number)
            }
        }
    }
}
