// Package marketo holds the parts of the Marketo REST contract that more than one msisync
// service needs: error and reason codes with Marketo's wording, typed errors that carry a
// code across gRPC, and request ids.
package marketo

// Response-level error codes: the whole request failed and nothing was written. Messages are
// Marketo's own wording, so clients that match on them keep working.
const (
	CodeEmptyAccessToken      = "600"
	CodeAccessTokenInvalid    = "601"
	CodeAccessTokenExpired    = "602"
	CodeAccessDenied          = "603"
	CodeRequestTimeOut        = "604"
	CodeMethodNotSupported    = "605"
	CodeRateLimitExceeded     = "606"
	CodeDailyQuotaReached     = "607"
	CodeTemporarilyUnavailble = "608"
	CodeInvalidJSON           = "609"
	CodeResourceNotFound      = "610"
	CodeSystemError           = "611"
	CodeInvalidContentType    = "612"
	CodeConcurrentAccessLimit = "615"
	CodeCannotBeBlank         = "701"
	CodeInvalidDateFormat     = "704"
	CodeSalesPersonNotFound   = "718"
)

// Record-level reason codes: the record was skipped and the others went ahead.
const (
	CodeInvalidValue       = "1001"
	CodeMissingValue       = "1002"
	CodeInvalidData        = "1003"
	CodeLeadNotFound       = "1004"
	CodeLeadAlreadyExists  = "1005"
	CodeFieldNotFound      = "1006"
	CodeMultipleLeadsMatch = "1007"
	CodeFieldNotSupported  = "1011"
	CodeObjectNotFound     = "1013"
	CodeObjectExists       = "1017"
	CodeObjectInUse        = "1022"
	CodeDuplicateInInput   = "1036"
)

// Messages with Marketo's wording for the codes msisync returns without a more specific text.
var messages = map[string]string{
	CodeEmptyAccessToken:      "Empty access token",
	CodeAccessTokenInvalid:    "Access token invalid",
	CodeAccessTokenExpired:    "Access token expired",
	CodeAccessDenied:          "Access denied",
	CodeRequestTimeOut:        "Request time-out",
	CodeMethodNotSupported:    "HTTP Method not supported",
	CodeDailyQuotaReached:     "Daily quota reached",
	CodeTemporarilyUnavailble: "API Temporarily Unavailable",
	CodeInvalidJSON:           "Invalid JSON",
	CodeInvalidDateFormat:     "Invalid date format",
	CodeResourceNotFound:      "Requested resource not found",
	CodeSystemError:           "System error",
	CodeInvalidContentType:    "Invalid Content Type",
	CodeSalesPersonNotFound:   "ExternalSalesPersonID not found",
	CodeInvalidData:           "Invalid data",
	CodeObjectNotFound:        "Object not found",
	CodeObjectExists:          "Object already exists",
	CodeObjectInUse:           "Object in use",
	CodeDuplicateInInput:      "Duplicate object found in input",
}

// Message returns Marketo's wording for code, or "" when msisync has none.
func Message(code string) string { return messages[code] }
