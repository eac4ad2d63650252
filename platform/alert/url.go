package alert

import (
	"errors"
	"net/url"
)

// unwrapURL returns the cause of a *url.Error, whose text would repeat the URL.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
