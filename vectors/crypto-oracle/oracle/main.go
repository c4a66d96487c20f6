// Command oracle answers crypto questions with Notary 0.7's own Go code (Go
// 1.19, as the notary binaries are built). It produces the expected verdicts
// in ../*.json; the TypeScript tests never run it.
//
// Build (GOPATH mode against the Debian Notary sources):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o /tmp/notary-oracle .
//
// Protocol: one JSON request per stdin line, one JSON answer per stdout line.
package main

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"time"

	cjson "github.com/docker/go/canonical/json"
	"github.com/theupdateframework/notary/trustpinning"
	"github.com/theupdateframework/notary/tuf/data"
	"github.com/theupdateframework/notary/tuf/signed"
	"github.com/theupdateframework/notary/tuf/utils"
)

type req struct {
	Op        string   `json:"op"`
	KeyType   string   `json:"keytype"`
	Pub       []byte   `json:"pub"`
	Method    string   `json:"method"`
	Msg       []byte   `json:"msg"`
	Sig       []byte   `json:"sig"`
	Gun       string   `json:"gun"`
	PKCS8     []byte   `json:"pkcs8"`
	NotBefore int64    `json:"notBefore"`
	NotAfter  int64    `json:"notAfter"`
	Serial    string   `json:"serial"`
	Path      string   `json:"path"`
	KeysFrom  []string `json:"keysFrom"`
	CA        bool     `json:"ca"`
}

type sigVector struct {
	KeyType string `json:"keytype"`
	Pub     []byte `json:"pub"`
	Method  string `json:"method"`
	Msg     []byte `json:"msg"`
	Sig     []byte `json:"sig"`
	Ok      bool   `json:"ok"`
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	out := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var r req
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			panic(err)
		}
		res, err := handle(r)
		if err != nil {
			res = map[string]interface{}{"error": err.Error()}
		}
		if err := out.Encode(res); err != nil {
			panic(err)
		}
	}
}

func handle(r req) (interface{}, error) {
	switch r.Op {
	case "verify":
		v, ok := signed.Verifiers[data.SigAlgorithm(r.Method)]
		if !ok {
			return map[string]bool{"ok": false}, nil
		}
		err := v.Verify(data.NewPublicKey(r.KeyType, r.Pub), r.Sig, r.Msg)
		return map[string]bool{"ok": err == nil}, nil
	case "keyid":
		k := data.NewPublicKey(r.KeyType, r.Pub)
		canon, err := utils.CanonicalKeyID(k)
		if err != nil {
			canon = ""
		}
		return map[string]string{"id": k.ID(), "canonical": canon}, nil
	case "cert":
		return checkRootCert(r.KeyType, r.Pub, r.Gun), nil
	case "gencert":
		return genCert(r)
	case "sign":
		return sign(r)
	case "fixture":
		return fixture(r.Path, r.KeysFrom)
	}
	return nil, fmt.Errorf("unknown op %q", r.Op)
}

// checkRootCert mirrors trustpinning.parseAllCerts + validRootLeafCerts (checkExpiry
// true) + utils.CertBundleToKey for one root key.
func checkRootCert(keytype string, pub []byte, gun string) map[string]interface{} {
	fail := func(why string) map[string]interface{} { return map[string]interface{}{"ok": false, "why": why} }
	key := data.NewPublicKey(keytype, pub)
	certs, err := utils.LoadCertBundleFromPEM(key.Public())
	if err != nil {
		return fail("parse: " + err.Error())
	}
	leaves := utils.GetLeafCerts(certs)
	if len(leaves) != 1 {
		return fail("leaf count")
	}
	if certs[0].IsCA {
		return fail("first is CA")
	}
	leaf := leaves[0]
	if !trustpinning.MatchCNToGun(leaf.Subject.CommonName, data.GUN(gun)) {
		return fail("cn")
	}
	if err := utils.ValidateCertificate(leaf, true); err != nil {
		return fail("validate: " + err.Error())
	}
	k, err := utils.CertBundleToKey(leaf, nil)
	if err != nil {
		return fail("key: " + err.Error())
	}
	return map[string]interface{}{"ok": true, "id": k.ID()}
}

func parsePKCS8(b []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(b)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("not a signer")
	}
	return s, nil
}

// genCert is cryptoservice.generateCertificate with a pinned serial and times.
func genCert(r req) (interface{}, error) {
	signer, err := parsePKCS8(r.PKCS8)
	if err != nil {
		return nil, err
	}
	template, err := utils.NewCertificate(r.Gun, time.Unix(r.NotBefore, 0), time.Unix(r.NotAfter, 0))
	if err != nil {
		return nil, err
	}
	if r.Serial != "" {
		n, ok := new(big.Int).SetString(r.Serial, 10)
		if !ok {
			return nil, fmt.Errorf("bad serial")
		}
		template.SerialNumber = n
	}
	if r.CA {
		template.IsCA = true
		template.KeyUsage = x509.KeyUsageCertSign
		template.ExtKeyUsage = nil
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, signer.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{"der": der, "pem": string(utils.CertToPEM(cert))}, nil
}

// sign signs with Notary's data.PrivateKey implementations.
func sign(r req) (interface{}, error) {
	s, err := parsePKCS8(r.PKCS8)
	if err != nil {
		return nil, err
	}
	var pk data.PrivateKey
	switch k := s.(type) {
	case *ecdsa.PrivateKey:
		pk, err = utils.ECDSAToPrivateKey(k)
	case *rsa.PrivateKey:
		pk, err = utils.RSAToPrivateKey(k)
	case ed25519.PrivateKey:
		pub := k.Public().(ed25519.PublicKey)
		buf := append(append([]byte{}, pub...), k...)
		pk, err = utils.ED25519ToPrivateKey(buf)
	default:
		return nil, fmt.Errorf("unsupported key")
	}
	if err != nil {
		return nil, err
	}
	sig, err := pk.Sign(rand.Reader, r.Msg, nil)
	if err != nil {
		return nil, err
	}
	return map[string]interface{}{
		"sig": sig, "method": string(pk.SignatureAlgorithm()),
		"keytype": pk.Algorithm(), "pub": pk.Public(), "id": pk.ID(),
	}, nil
}

// fixture lists every signature of a Notary metadata file with the canonical
// bytes it covers and the verifier's verdict.
func fixture(path string, keysFrom []string) (interface{}, error) {
	s, err := readSigned(path)
	if err != nil {
		return nil, err
	}
	keys := map[string]data.PublicKey{}
	for _, p := range append([]string{path}, keysFrom...) {
		other, err := readSigned(p)
		if err != nil {
			return nil, err
		}
		collectKeys(other, keys)
	}
	var decoded map[string]interface{}
	if err := json.Unmarshal(*s.Signed, &decoded); err != nil {
		return nil, err
	}
	msg, err := cjson.MarshalCanonical(decoded)
	if err != nil {
		return nil, err
	}
	var out []sigVector
	for _, sg := range s.Signatures {
		k, ok := keys[sg.KeyID]
		if !ok {
			continue
		}
		v := signed.Verifiers[sg.Method]
		out = append(out, sigVector{k.Algorithm(), k.Public(), string(sg.Method), msg, sg.Signature,
			v != nil && v.Verify(k, sg.Signature, msg) == nil})
	}
	return map[string]interface{}{"sigs": out}, nil
}

func readSigned(path string) (*data.Signed, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s data.Signed
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

func collectKeys(s *data.Signed, keys map[string]data.PublicKey) {
	var withKeys struct {
		Keys        data.Keys `json:"keys"`
		Delegations struct {
			Keys data.Keys `json:"keys"`
		} `json:"delegations"`
	}
	if err := json.Unmarshal(*s.Signed, &withKeys); err == nil {
		for id, k := range withKeys.Keys {
			keys[id] = k
		}
		for id, k := range withKeys.Delegations.Keys {
			keys[id] = k
		}
	}
}
