package policy

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrBadRequirement is returned by ParseRequirement for text that
// Requirement.String did not write.
var ErrBadRequirement = errors.New("malformed requirement")

// String writes the requirement as comma-separated items, the form the portal
// receives in its step-up URL: uv, device_bound, platform or cross-platform,
// aaguid=UUID (one per model) and max_age=SECONDS. The zero Requirement is "".
func (q *Requirement) String() string {
	var items []string
	if q.UserVerification {
		items = append(items, "uv")
	}
	if q.DeviceBound {
		items = append(items, "device_bound")
	}
	if q.Attachment != AnyAttachment {
		items = append(items, q.Attachment.String())
	}
	for _, id := range q.AAGUIDs {
		items = append(items, "aaguid="+id)
	}
	if q.MaxAge > 0 {
		items = append(items, "max_age="+strconv.FormatInt(int64(q.MaxAge/time.Second), 10))
	}
	return strings.Join(items, ",")
}

// ParseRequirement reads what Requirement.String wrote. Text from a URL is the
// client's: the result only chooses what the portal offers, and the request is
// decided again after the step-up.
func ParseRequirement(s string) (Requirement, error) {
	var q Requirement
	if s == "" {
		return q, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		if !q.parseItem(item) {
			return Requirement{}, errors.Join(ErrBadRequirement, errors.New(strconv.Quote(item)))
		}
	}
	return q, nil
}

// parseItem sets what one item says and reports whether it is one.
func (q *Requirement) parseItem(item string) bool {
	key, value, _ := strings.Cut(item, "=")
	switch key {
	case "uv":
		q.UserVerification = true
	case "device_bound":
		q.DeviceBound = true
	case "platform":
		q.Attachment = Platform
	case "cross-platform":
		q.Attachment = CrossPlatform
	case "aaguid":
		if !isUUID(value) {
			return false
		}
		q.AAGUIDs = append(q.AAGUIDs, strings.ToLower(value))
	case "max_age":
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil || n <= 0 {
			return false
		}
		q.MaxAge = time.Duration(n) * time.Second
	default:
		return false
	}
	return key == "aaguid" || key == "max_age" || value == ""
}
