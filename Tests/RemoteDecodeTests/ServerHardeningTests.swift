import DecodePipeline
import Foundation
import LatenttyServer
import RemoteDecode
import Testing
import Wire

/// The server against slow, greedy and malformed clients: each is cut or refused with a JSON
/// reason within the configured limits, and well-behaved clients are served meanwhile.
/// Limits are set short so every wait is bounded by them; nothing sleeps to synchronise.
@Suite struct ServerHardeningTests {
    let client = ServerTestClient()
    let smallQuery = "output_type=pt&shape=1&shape=4&shape=2&shape=2&dtype=float32"
    let smallBody = [UInt8](repeating: 0, count: 64)

    func head(_ query: String, length: Int) -> String {
        "POST /?\(query) HTTP/1.1\r\nHost: x\r\nContent-Type: tensor/binary\r\nContent-Length: \(length)\r\n\r\n"
    }

    @Test func tricklingBodiesDoNotLockOutOthersAndAreCut() async throws {
        // Before bodies counted against the queue only once complete, 2 trickling clients filled it.
        let configuration = ServerConfiguration(
            port: 0, workers: 1, queueCapacity: 2, bodyTimeout: .seconds(2), minBodyBytesPerSecond: 1024)
        try await withLatenttyServer(configuration: configuration) { url in
            let slow = try (0..<6).map { _ in try RawConnection(port: port(of: url)) }
            for connection in slow {
                connection.send(head(smallQuery, length: smallBody.count) + "\0")
            }
            for _ in 0..<3 {
                let served = try await client.post(url, query: smallQuery, body: smallBody)
                #expect(served.status == 200)
            }
            for connection in slow {
                let cut = await onOwnThread { connection.answer() }
                #expect(cut?.status == 408)
                #expect(cut?.error?.contains("slower than this server's minimum of 1.0 KB/s") == true)
                #expect(await onOwnThread { connection.closedByServer() })
            }
            let metrics = String(decoding: try await client.get(url + "metrics").body, as: UTF8.self)
            #expect(metrics.contains("latentty_connections_cut_total{reason=\"slow_body\"} 6"))
        }
    }

    @Test func aHeadThatNeverEndsGets408AndAnIdleConnectionIsClosed() async throws {
        let configuration = ServerConfiguration(port: 0, headerTimeout: .milliseconds(300), idleTimeout: .milliseconds(300))
        try await withLatenttyServer(configuration: configuration) { url in
            let partial = try RawConnection(port: port(of: url))
            let answer = await onOwnThread {
                partial.send("POST / HTTP/1.1\r\nHost: x\r\n")
                return partial.answer()
            }
            #expect(answer?.status == 408)
            #expect(answer?.error == "the request head did not arrive within 0.3 s; send it at once")

            let idle = try RawConnection(port: port(of: url))
            #expect(await onOwnThread { idle.answer() } == nil)
            #expect(try await client.get(url + "health").status == 200)
        }
    }

    @Test func httpMistakesGetJSONErrorsWithTheirStatus() async throws {
        try await withLatenttyServer(configuration: ServerConfiguration(port: 0)) { url in
            let port = port(of: url)
            let cases: [(String, [UInt8], Int, String)] = [
                ("unknown method", Array("BREW / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 501, "method"),
                ("wrong method", Array("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".utf8), 405, "PUT"),
                ("unknown path", Array("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n".utf8), 404, "GET /nope"),
                ("bad length", Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n".utf8), 400, "Content-Length"),
                (
                    "huge header",
                    Array(("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n").utf8),
                    431, "80.0 KB"
                ),
                (
                    "bad chunk",
                    Array("POST /?\(smallQuery) HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".utf8),
                    400, "chunk size"
                ),
                ("not HTTP", Array("hello\r\n\r\n".utf8), 501, "method"),
                ("malformed header", Array("GET / HTTP/1.1\r\nBad Header\r\n\r\n".utf8), 400, "head is malformed"),
            ]
            for (name, request, status, words) in cases {
                let answer = try await RawConnection.exchange(port: port, request)
                #expect(answer?.status == status, "\(name)")
                #expect(answer?.headers["content-type"] == "application/json", "\(name)")
                #expect(answer?.error?.contains(words) == true, "\(name): \(answer?.error ?? "no answer")")
            }
            let allowed = try await RawConnection.exchange(port: port, Array("DELETE /x HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(allowed?.headers["allow"] == "GET, POST")
            #expect(try await client.get(url + "health").status == 200)
        }
    }

    @Test func aRequestAskingForTooMuchWorkIsRefusedBeforeDecoding() async throws {
        let configuration = ServerConfiguration(port: 0, maxWorkBytes: 1 << 20)
        try await withLatenttyServer(configuration: configuration) { url in
            // 32 KB of float16 latent asks for 512×512 pixels: 6 MB as float32 pixels plus a float16 answer.
            let big = try await client.post(
                url, query: "output_type=pt&shape=1&shape=4&shape=64&shape=64&dtype=float16", body: [UInt8](repeating: 0, count: 32768))
            #expect(big.status == 422)
            #expect(client.errorMessage(big)?.contains("1 × 512×512 pixels, about 4.5 MB") == true)
            #expect(client.errorMessage(big)?.contains("limit is 1.0 MB per request (--max-work-mb)") == true)
            let video = try await client.post(
                url, query: "output_type=mp4&shape=1&shape=16&shape=33&shape=8&shape=8&dtype=float16",
                body: [UInt8](repeating: 0, count: 16 * 33 * 64 * 2))
            #expect(video.status == 422 && client.errorMessage(video)?.contains("129 frames of 64×64") == true)
            #expect(try await client.post(url, query: smallQuery, body: smallBody).status == 200)
            let metrics = String(decoding: try await client.get(url + "metrics").body, as: UTF8.self)
            #expect(metrics.contains("latentty_work_refused_total 2"))
        }
    }

    @Test func bodiesInFlightShareOneBudget() async throws {
        // A 60,000-byte request held in the engine keeps its body, and its share of the budget, until answered.
        let engine = ServerTests.GateEngine()
        let configuration = ServerConfiguration(port: 0, maxBodyBytes: 64 << 10, maxBodyBytesInFlight: 64 << 10, retryAfterSeconds: 4)
        try await withLatenttyServer(engine: engine, configuration: configuration) { url in
            async let held = client.post(
                url, query: "output_type=pt&shape=1&shape=4&shape=50&shape=75&dtype=float32", body: [UInt8](repeating: 0, count: 60_000))
            await onOwnThread { engine.entered.wait() }
            let refused = try await client.post(url, query: smallQuery, body: [UInt8](repeating: 0, count: 8192))
            #expect(refused.status == 503 && refused.headers["Retry-After"] == "4")
            #expect(client.errorMessage(refused)?.contains("too many request bodies") == true)
            let metrics = String(decoding: try await client.get(url + "metrics").body, as: UTF8.self)
            #expect(metrics.contains("latentty_body_bytes_in_flight 60000\n"))
            let tooLarge = try await client.post(url, query: smallQuery, body: [UInt8](repeating: 0, count: 65 << 10))
            #expect(tooLarge.status == 413 && client.errorMessage(tooLarge)?.contains("64.0 KB limit") == true)
            // Refused from its Content-Length alone: the server closes rather than read the rest.
            let unread = try RawConnection(port: port(of: url))
            let (answer, closed) = await onOwnThread {
                unread.send(head(smallQuery, length: 1 << 30))
                return (unread.answer(), unread.closedByServer())
            }
            #expect(answer?.status == 413 && answer?.headers["connection"] == "close" && closed)
            engine.release.signal()
            #expect(try await held.status == 200)
        }
    }

    @Test(.timeLimit(.minutes(1))) func aClientThatStopsReadingItsAnswerIsCut() async throws {
        let configuration = ServerConfiguration(port: 0, bodyTimeout: .milliseconds(300))
        try await withObservedServer(configuration: configuration) { url, lines in
            // 256 KB of latent answered as 12 MB of float32 pixels, to a client with a 4 KB receive buffer.
            let query = "output_type=pt&shape=1&shape=4&shape=128&shape=128&dtype=float32"
            let reader = try RawConnection(port: port(of: url), receiveBuffer: 4096)
            let request = Array((head(query, length: 4 * 128 * 128 * 4)).utf8) + [UInt8](repeating: 0, count: 4 * 128 * 128 * 4)
            // The body may not fit the socket at once: send it where blocking holds no cooperative thread.
            await onOwnThread { reader.send(request) }
            var abandoned: String?
            for await line in lines where line.contains("stopped reading") {
                abandoned = line
                break
            }
            #expect(abandoned?.hasPrefix("- - 200 ") == true)
            #expect(abandoned?.contains("error=the client stopped reading its answer for 0.3 s; the connection was closed") == true)
            let metrics = String(decoding: try await client.get(url + "metrics").body, as: UTF8.self)
            #expect(metrics.contains("latentty_connections_cut_total{reason=\"slow_reader\"} 1\n"))
            #expect(try await client.post(url, query: smallQuery, body: smallBody).status == 200)
        }
    }

    @Test func oneAddressCannotHoldMoreThanItsConnections() async throws {
        let configuration = ServerConfiguration(port: 0, maxConnectionsPerAddress: 2)
        try await withLatenttyServer(configuration: configuration) { url in
            let port = port(of: url)
            let held = try (0..<2).map { _ in try RawConnection(port: port) }
            for connection in held {
                let answer = await onOwnThread {
                    connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    return connection.answer()
                }
                #expect(answer?.status == 200)
            }
            let third = try await RawConnection.exchange(port: port, Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            #expect(third?.status == 429)
            #expect(third?.error == "this address already has 2 connections open, this server's limit; reuse one of them")
        }
    }

    @Test func aConnectionIsClosedAfterItsLastAllowedRequest() async throws {
        let configuration = ServerConfiguration(port: 0, maxRequestsPerConnection: 2)
        try await withLatenttyServer(configuration: configuration) { url in
            let connection = try RawConnection(port: port(of: url))
            let (first, second, closed) = await onOwnThread {
                connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                let first = connection.answer()
                connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                return (first, connection.answer(), connection.closedByServer())
            }
            #expect(first?.status == 200 && first?.headers["connection"] != "close")
            #expect(second?.status == 200 && second?.headers["connection"] == "close")
            #expect(closed)
        }
    }

    @Test func readyAndMetricsDescribeTheServer() async throws {
        let log = AccessLines()
        try await withLatenttyServer(configuration: ServerConfiguration(port: 0, logFormat: .json), log: log) { url in
            let ready = try await client.get(url + "ready")
            #expect(ready.status == 200)
            let readiness = try JSONSerialization.jsonObject(with: Data(ready.body)) as? [String: Any]
            #expect(readiness?["status"] as? String == "ready" && readiness?["engine"] as? String == "approx")

            #expect(try await client.post(url, query: smallQuery, body: smallBody).status == 200)
            let metrics = try await client.get(url + "metrics")
            #expect(metrics.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(decoding: metrics.body, as: UTF8.self)
            for line in [
                "latentty_requests_total{status=\"200\"} 2", "latentty_request_bytes_total 64", "latentty_decode_seconds_count 1",
                "latentty_decode_seconds_bucket{le=\"+Inf\"} 1", "latentty_queue_depth 0", "latentty_queue_capacity 16",
                "latentty_engine_info{engine=\"approx\",preset=\"per request\"} 1", "# TYPE latentty_decode_seconds histogram",
            ] {
                #expect(text.contains(line + "\n"), "\(line)")
            }
        }
        // JSON access log: one object per request, with who asked and what it cost.
        let records = log.all.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(records.count == 3)
        let decode = records.first { $0["method"] as? String == "POST" }
        #expect(decode?["status"] as? Int == 200 && decode?["bytes_in"] as? Int == 64 && decode?["remote"] as? String == "127.0.0.1")
        #expect(decode?["path"] as? String == "/?" + smallQuery && decode?["seconds"] is Double && decode?["time"] is String)
    }

    @Test func readyIsRefusedWhileTheQueueIsFull() async throws {
        let engine = ServerTests.GateEngine()
        let configuration = ServerConfiguration(port: 0, workers: 1, queueCapacity: 1)
        try await withLatenttyServer(engine: engine, configuration: configuration) { url in
            async let first = client.post(url, query: smallQuery, body: smallBody)
            await onOwnThread { engine.entered.wait() }
            let notReady = try await client.get(url + "ready")
            #expect(notReady.status == 503 && client.errorMessage(notReady) == "the decode queue is full (1 of 1); send work elsewhere")
            #expect(try await client.get(url + "health").status == 200)
            engine.release.signal()
            #expect(try await first.status == 200)
            #expect(try await client.get(url + "ready").status == 200)
        }
    }
}
