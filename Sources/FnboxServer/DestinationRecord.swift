import FnboxRuntime
import Foundation

/// Lambda's destination invocation record (LAMBDA.md §3.3), with its key order:
/// `version, timestamp, requestContext{requestId, functionArn, condition, approximateInvokeCount},
/// requestPayload, responseContext{statusCode, executedVersion, functionError?}, responsePayload`.
enum DestinationRecord {
    /// - Parameters:
    ///   - functionArn: the source function's ARN, qualified (`…:$LATEST`).
    ///   - response: nil for a record without a response (`ZeroReservedConcurrency`).
    static func json(
        requestID: String, functionArn: String, condition: String, approximateInvokeCount: Int,
        requestPayload: [UInt8], response: (payload: [UInt8], functionError: String?)?, at date: Date = Date()
    ) -> [UInt8] {
        var text = #"{"version":"1.0","timestamp":"# + JSONText.quote(timestamp(date))
        text += #","requestContext":{"requestId":"# + JSONText.quote(requestID)
        text += #","functionArn":"# + JSONText.quote(functionArn)
        text += #","condition":"# + JSONText.quote(condition)
        text += #","approximateInvokeCount":\#(approximateInvokeCount)}"#
        text += #","requestPayload":"# + embedded(requestPayload)
        if let response {
            text += #","responseContext":{"statusCode":200,"executedVersion":"$LATEST""#
            if let functionError = response.functionError { text += #","functionError":"# + JSONText.quote(functionError) }
            text += #"},"responsePayload":"# + embedded(response.payload)
        }
        text += "}"
        return Array(text.utf8)
    }

    /// JSON is embedded as it is; anything else (a function may answer bytes) as a JSON string.
    private static func embedded(_ bytes: [UInt8]) -> String {
        if !bytes.isEmpty, JSONText.isValidJSON(bytes) { return String(decoding: bytes, as: UTF8.self) }
        return JSONText.quote(String(decoding: bytes, as: UTF8.self))
    }

    /// `2019-11-24T23:08:25.651Z`
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
        return formatter.string(from: date)
    }
}
