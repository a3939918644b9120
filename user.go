package jarvis

import (
	"context"
	"time"
)

// User is a person who signs in to Jarvis.
type User struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	PictureURL string `json:"picture_url"`
	// TokenVersion is bumped by "sign out everywhere": every JWT minted under
	// an older version is refused.
	TokenVersion int `json:"-"`
	// PersonalOrgID is the org made with the user, of which they are owner;
	// audit rows of the user's own actions belong to it.
	PersonalOrgID string     `json:"-"`
	CreatedAt     time.Time  `json:"-"`
	UpdatedAt     time.Time  `json:"-"`
	LastLoginAt   *time.Time `json:"-"`
}

// UserStore persists users. Users are their own tenant: every method that
// reads or changes a user is addressed by that user's id.
type UserStore interface {
	// FindUserByID returns ENOTFOUND if there is no such user.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUserByEmail returns ENOTFOUND if no user has that (case-insensitive) email.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// EnsureUser returns the user with the given email, creating it and its
	// personal org (with the user as owner) when there is none.
	EnsureUser(ctx context.Context, email, name string) (*User, error)
	// BumpTokenVersion revokes every token issued to the user so far.
	BumpTokenVersion(ctx context.Context, userID string) error
}

// TokenRevocations records revoked JWT ids until they would have expired anyway.
type TokenRevocations interface {
	RevokeToken(ctx context.Context, userID, jti string, expiresAt time.Time) error
	// FindUserForToken returns the token's user and whether the token id is
	// revoked, at once. ENOTFOUND if there is no such user.
	FindUserForToken(ctx context.Context, userID, jti string) (*User, bool, error)
}
