module dataledger

go 1.26

require (
	github.com/gowebpki/jcs v1.0.2
	github.com/tjfoc/gmsm v1.4.1
)

require (
	golang.org/x/crypto v0.53.0 // indirect
	golang.org/x/sys v0.46.0 // indirect
)
