// Package webhook is the gateway's notifications to subscribers off the
// network (enterprises, exchanges): the events it delivers, how each
// delivery is signed and how a receiver checks it (Verify: this file
// imports nothing of the product, so a subscriber may embed it), the
// store that keeps subscriptions and deliveries across restarts (Store)
// and the deliverer that sends them, at least once, with retries and
// backoff (Deliverer).
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	// HeaderSignature is "t=<unix seconds>,v1=<hex HMAC-SHA256>": the MAC,
	// under the subscription's secret, of "<t>.<body>".
	HeaderSignature = "Dataledger-Signature"
	// HeaderEventID is the event's ID, the same on every attempt. It is
	// the signed body's "id", which is what a receiver de-duplicates by
	// (the header is not signed: a replayed delivery may carry another).
	HeaderEventID = "Dataledger-Event-Id"
	// HeaderEventType is the event's type (Type*).
	HeaderEventType = "Dataledger-Event-Type"
	// HeaderAttempt is the attempt's number, from 1.
	HeaderAttempt = "Dataledger-Delivery-Attempt"
)

// DefaultTolerance is how far a signature's time may be from the
// receiver's clock before Verify calls it a replay.
const DefaultTolerance = 5 * time.Minute

// secretPrefix marks a webhook secret (so one pasted in the wrong place
// is recognized).
const secretPrefix = "dlwh_"

// ErrSignature: the delivery was not signed with the secret (forged, or
// changed on the way). ErrStale: its time is outside the tolerance (a
// replay, or a clock far off).
var (
	ErrSignature = errors.New("webhook: signature does not match the body under the secret")
	ErrStale     = errors.New("webhook: signature time is outside the tolerance (a replay?)")
)

// NewSecret is a new subscription's secret: 32 random bytes, hex.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return secretPrefix + hex.EncodeToString(b), nil
}

// Sign is the HeaderSignature of body sent at t: one v1 signature per
// secret (the current one, and during a rotation's grace the previous
// one too, so a receiver that still holds it verifies).
func Sign(secret string, t time.Time, body []byte, more ...string) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	h := "t=" + ts
	for _, s := range append([]string{secret}, more...) {
		h += ",v1=" + hex.EncodeToString(mac(s, ts, body))
	}
	return h
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a delivery's HeaderSignature over its body under the
// subscription's secret, and that its time is within tolerance of now
// (0: DefaultTolerance). Several v1 values are accepted (any one may
// match), so a header may carry signatures under an old and a new secret.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if secret == "" {
		return fmt.Errorf("%w: no secret to verify with", ErrSignature)
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: %s is not t=<unix seconds>,v1=<hex>", ErrSignature, HeaderSignature)
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal(s, want)
	}
	if !ok {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
