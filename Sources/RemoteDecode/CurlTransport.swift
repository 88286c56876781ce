import CCurl
import Dispatch
import Foundation
import Synchronization
import Wire

/// Bytes moved so far; totals are 0 while unknown.
public struct TransferProgress: Sendable, Equatable {
    public var uploaded: Int
    public var uploadTotal: Int
    public var downloaded: Int
    public var downloadTotal: Int

    public init(uploaded: Int = 0, uploadTotal: Int = 0, downloaded: Int = 0, downloadTotal: Int = 0) {
        self.uploaded = uploaded
        self.uploadTotal = uploadTotal
        self.downloaded = downloaded
        self.downloadTotal = downloadTotal
    }
}

/// Limits for one transfer.
public struct TransferLimits: Sendable, Equatable {
    public var connectTimeout: Double
    /// Whole request, upload to last byte; decodes on a cold endpoint can take minutes.
    public var totalTimeout: Double
    public var maxResponseBytes: Int

    public init(connectTimeout: Double = 10, totalTimeout: Double = 300, maxResponseBytes: Int = 2 << 30) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// HTTP over libcurl. Each transfer runs `curl_easy_perform` on its own thread; finished handles go
/// back to a pool, and since a reused easy handle keeps its connection cache, requests to the same
/// endpoint reuse connections.
public final class CurlTransport: Sendable {
    private let pool = Mutex<[EasyHandle]>([])
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init() {
        _ = Self.globalInit
    }

    /// Sends `request` to `url` with `extraHeaders`; returns whatever HTTP status came back.
    public func perform(
        _ request: WireRequest, url: String, extraHeaders: [Header] = [], limits: TransferLimits = TransferLimits(),
        progress: @escaping @Sendable (TransferProgress) -> Void = { _ in }
    ) async throws(TransportError) -> WireResponse {
        let transfer = Transfer(body: request.body, limits: limits, progress: progress)
        let headers = request.headers + extraHeaders
        let result: Result<WireResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let handle = takeHandle()
                Thread.detachNewThread { [self] in
                    let outcome = transfer.run(handle: handle, method: request.method, url: url, headers: headers)
                    giveBack(handle)
                    continuation.resume(returning: outcome)
                }
            }
        } onCancel: {
            transfer.cancel()
        }
        return try result.get()
    }

    private func takeHandle() -> EasyHandle {
        pool.withLock { $0.popLast() } ?? EasyHandle()
    }

    private func giveBack(_ handle: EasyHandle) {
        pool.withLock { handles in
            if handles.count < 16 { handles.append(handle) }
        }
    }
}

/// Owns one `CURL *`.
final class EasyHandle: @unchecked Sendable {
    // Only one transfer uses a handle at a time: the pool hands it out exclusively.
    let raw: UnsafeMutableRawPointer?

    init() { raw = curl_easy_init() }

    deinit { curl_easy_cleanup(raw) }
}

/// The state one transfer's callbacks share with the thread running it.
final class Transfer: @unchecked Sendable {
    // Mutated only by curl callbacks on the transfer thread, read after `curl_easy_perform` returns.
    private let upload: UnsafeMutableRawBufferPointer
    private let uploadLength: Int
    private let limits: TransferLimits
    private let progress: @Sendable (TransferProgress) -> Void
    private let cancelled = Atomic<Bool>(false)
    private var received: [UInt8] = []
    private var headers: [Header] = []
    private var tooLarge = false
    private var headerBytes = 0
    private var headersTooLarge = false
    /// All header lines of one answer together; real endpoints send a few hundred bytes.
    static let maxHeaderBytes = 256 << 10
    private var lastReport = TransferProgress()

    init(body: [UInt8], limits: TransferLimits, progress: @escaping @Sendable (TransferProgress) -> Void) {
        upload = .allocate(byteCount: max(body.count, 1), alignment: 1)
        upload.copyBytes(from: body)
        uploadLength = body.count
        self.limits = limits
        self.progress = progress
    }

    deinit { upload.deallocate() }

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    func run(handle: EasyHandle, method: String, url: String, headers requestHeaders: [Header]) -> Result<WireResponse, TransportError> {
        guard let curl = handle.raw else { return .failure(.other(code: -1, message: "curl_easy_init failed")) }
        if cancelled.load(ordering: .relaxed) { return .failure(.cancelled) }
        curl_easy_reset(curl)
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // curl adds `Expect: 100-continue` to large POSTs; endpoints gain nothing from the extra round trip.
        // It also labels a POST body form data unless told otherwise; diffusers' encode requests carry
        // no Content-Type, so a request without one goes without (an empty value removes curl's own).
        var suppressed = [Header("Expect", "")]
        if requestHeaders["Content-Type"] == nil { suppressed.append(Header("Content-Type", "")) }
        for header in requestHeaders + suppressed {
            list = curl_slist_append(list, "\(header.name): \(header.value)")
        }
        defer { curl_slist_free_all(list) }
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = latentty_setopt_string(curl, CURLOPT_URL, url)
        _ = latentty_setopt_string(curl, CURLOPT_CUSTOMREQUEST, method)
        if method == "POST" {
            _ = latentty_setopt_long(curl, CURLOPT_POST, 1)
            _ = latentty_setopt_pointer(curl, CURLOPT_POSTFIELDS, upload.baseAddress)
            _ = latentty_setopt_off(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(uploadLength))
        }
        _ = latentty_setopt_pointer(curl, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
        _ = latentty_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout * 1000))
        _ = latentty_setopt_long(curl, CURLOPT_TIMEOUT_MS, Int(limits.totalTimeout * 1000))
        _ = latentty_setopt_off(curl, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxResponseBytes))
        _ = latentty_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
        _ = latentty_setopt_long(curl, CURLOPT_NOPROGRESS, 0)
        _ = latentty_setopt_string(curl, CURLOPT_USERAGENT, "latentty")
        _ = latentty_setopt_string(curl, CURLOPT_ACCEPT_ENCODING, "")
        _ = latentty_setopt_write(curl, transferWrite)
        _ = latentty_setopt_pointer(curl, CURLOPT_WRITEDATA, context)
        _ = latentty_setopt_header(curl, transferHeader)
        _ = latentty_setopt_pointer(curl, CURLOPT_HEADERDATA, context)
        _ = latentty_setopt_progress(curl, transferProgress)
        _ = latentty_setopt_pointer(curl, CURLOPT_XFERINFODATA, context)

        let code = curl_easy_perform(curl)
        if code != CURLE_OK { return .failure(error(for: code, curl: curl, url: url)) }
        var status = 0
        _ = latentty_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        report(
            TransferProgress(uploaded: uploadLength, uploadTotal: uploadLength, downloaded: received.count, downloadTotal: received.count))
        return .success(WireResponse(status: status, headers: headers, body: received))
    }

    private func error(for code: CURLcode, curl: UnsafeMutableRawPointer, url: String) -> TransportError {
        let message = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_ABORTED_BY_CALLBACK:
            return cancelled.load(ordering: .relaxed) ? .cancelled : .other(code: Int(code.rawValue), message: message)
        case CURLE_WRITE_ERROR where tooLarge, CURLE_FILESIZE_EXCEEDED: return .responseTooLarge(limit: limits.maxResponseBytes)
        case CURLE_WRITE_ERROR where headersTooLarge: return .headersTooLarge(limit: Self.maxHeaderBytes)
        case CURLE_COULDNT_CONNECT where osError(curl) == ECONNREFUSED:
            return .connectionRefused(url: url)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .couldNotConnect(message)
        case CURLE_OPERATION_TIMEDOUT: return .timedOut(seconds: limits.totalTimeout)
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING: return .connectionLost(message)
        case CURLE_PARTIAL_FILE: return .incompleteBody("\(received.count) bytes arrived, fewer than the Content-Length promised")
        default: return .other(code: Int(code.rawValue), message: message)
        }
    }

    /// The system's errno behind a failed connect (ECONNREFUSED, ETIMEDOUT…).
    private func osError(_ curl: UnsafeMutableRawPointer) -> Int32 {
        var value = 0
        _ = latentty_getinfo_long(curl, CURLINFO_OS_ERRNO, &value)
        return Int32(truncatingIfNeeded: value)
    }

    fileprivate func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard received.count + bytes.count <= limits.maxResponseBytes else {
            tooLarge = true
            return false
        }
        received.append(contentsOf: bytes)
        return true
    }

    /// Returns false to abort the transfer: header lines without end would otherwise be kept without end.
    fileprivate func receiveHeader(_ line: String) -> Bool {
        headerBytes += line.utf8.count
        guard headerBytes <= Self.maxHeaderBytes else {
            headersTooLarge = true
            return false
        }
        if line.hasPrefix("HTTP/") {
            headers = []  // a new response (after 100 Continue or a redirect) starts over
            return true
        }
        guard let colon = line.firstIndex(of: ":") else { return true }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        headers.append(Header(name, value))
        return true
    }

    /// Returns false to abort the transfer.
    fileprivate func updateProgress(_ now: TransferProgress) -> Bool {
        if cancelled.load(ordering: .relaxed) { return false }
        if now != lastReport { report(now) }
        return true
    }

    private func report(_ now: TransferProgress) {
        lastReport = now
        progress(now)
    }
}

private func transfer(_ pointer: UnsafeMutableRawPointer?) -> Transfer {
    Unmanaged<Transfer>.fromOpaque(pointer!).takeUnretainedValue()
}

private let transferWrite: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    let length = size * count
    let ok = transfer(context).receive(UnsafeRawBufferPointer(start: data, count: length))
    return ok ? length : 0
}

private let transferHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
    data, size, count, context in
    let length = size * count
    guard let data else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    return transfer(context).receiveHeader(line) ? length : 0
}

private let transferProgress: @convention(c) (UnsafeMutableRawPointer?, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> Int32 = {
    context, downTotal, down, upTotal, up in
    let now = TransferProgress(uploaded: Int(up), uploadTotal: Int(upTotal), downloaded: Int(down), downloadTotal: Int(downTotal))
    return transfer(context).updateProgress(now) ? 0 : 1
}
