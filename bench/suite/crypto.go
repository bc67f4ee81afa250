package suite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"

	esm2 "github.com/emmansun/gmsm/sm2"
	esm3 "github.com/emmansun/gmsm/sm3"
	tsm2 "github.com/tjfoc/gmsm/sm2"
	tsm3 "github.com/tjfoc/gmsm/sm3"

	"dataledger/certs"
	"dataledger/chaincode/domain"
)

// CryptoRow is one operation of one implementation, with its ratio to
// the P-256 (or SHA-256) baseline of the same operation.
type CryptoRow struct {
	Op, Impl string
	PerOp    time.Duration
	Ratio    float64 // PerOp ÷ baseline PerOp
}

func perOp(f func(b *testing.B)) time.Duration {
	r := testing.Benchmark(f)
	return time.Duration(r.NsPerOp())
}

// runCrypto measures SM2/SM3 of tjfoc/gmsm and emmansun/gmsm against
// crypto/ecdsa P-256 and SHA-256 in this process, on a certificate's
// canonical JSON, and certs' own production path (whichever library
// certs/sm.go wraps).
func runCrypto(o *Options, r *Report) error {
	doc, _ := json.Marshal(domain.Certificate{Type: domain.DocTypeCertificate, CertificateName: "数据产品登记证书", ProductName: "城市通勤客流指数",
		RegistrationNumber: "DJ-450100-2026-3KQ7M2XA-K", ProductType: "dataset", EnterpriseName: "南宁交通数据科技有限公司",
		EnterpriseCreditCode: "91450100MA5L0000AW", UpdateCycle: "每日", ApplicationScenario: "城市交通规划与公交线网优化",
		RegistrationDate: "2026-11-28", ResourceIDs: []string{"RES-450100-0001"}, IssuingDepartment: "南宁市大数据发展局",
		ChainReference: domain.ChainReference{Channel: "nanning", TxID: "0000000000000000000000000000000000000000000000000000000000000000"}})
	msg, err := certs.Canonicalize(doc)
	if err != nil {
		return err
	}
	tk, _ := tsm2.GenerateKey(rand.Reader)
	tsig, _ := tk.Sign(rand.Reader, msg, nil)
	ek, _ := esm2.GenerateKey(rand.Reader)
	esig, _ := ek.Sign(rand.Reader, msg, esm2.DefaultSM2SignerOpts)
	pk, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	d := sha256.Sum256(msg)
	psig, _ := ecdsa.SignASN1(rand.Reader, pk, d[:])
	ck, _ := certs.GenerateKey(nil)
	signed, err := certs.Sign(doc, ck, nil)
	if err != nil {
		return err
	}
	env, err := certs.ParseEnvelope(signed)
	if err != nil {
		return err
	}
	kib := make([]byte, 1024)
	type impl struct {
		name string
		f    func(b *testing.B)
	}
	ops := []struct {
		op    string
		impls []impl // the first is the baseline
	}{
		{"verify", []impl{
			{"crypto/ecdsa P-256", func(b *testing.B) {
				for range b.N {
					h := sha256.Sum256(msg)
					ecdsa.VerifyASN1(&pk.PublicKey, h[:], psig)
				}
			}},
			{"tjfoc/gmsm SM2", func(b *testing.B) {
				for range b.N {
					tk.PublicKey.Verify(msg, tsig)
				}
			}},
			{"emmansun/gmsm SM2", func(b *testing.B) {
				for range b.N {
					esm2.VerifyASN1WithSM2(&ek.PublicKey, nil, msg, esig)
				}
			}},
			{"certs.VerifySignature (production)", func(b *testing.B) {
				for range b.N {
					_ = certs.VerifySignature(env, ck.Public())
				}
			}},
		}},
		{"sign", []impl{
			{"crypto/ecdsa P-256", func(b *testing.B) {
				for range b.N {
					h := sha256.Sum256(msg)
					_, _ = ecdsa.SignASN1(rand.Reader, pk, h[:])
				}
			}},
			{"tjfoc/gmsm SM2", func(b *testing.B) {
				for range b.N {
					_, _ = tk.Sign(rand.Reader, msg, nil)
				}
			}},
			{"emmansun/gmsm SM2", func(b *testing.B) {
				for range b.N {
					_, _ = ek.Sign(rand.Reader, msg, esm2.DefaultSM2SignerOpts)
				}
			}},
			{"certs.Sign (production, with RFC 8785)", func(b *testing.B) {
				for range b.N {
					_, _ = certs.Sign(doc, ck, nil)
				}
			}},
		}},
		{"hash 1 KiB", []impl{
			{"crypto/sha256", func(b *testing.B) {
				for range b.N {
					sha256.Sum256(kib)
				}
			}},
			{"tjfoc/gmsm SM3", func(b *testing.B) {
				for range b.N {
					tsm3.Sm3Sum(kib)
				}
			}},
			{"emmansun/gmsm SM3", func(b *testing.B) {
				for range b.N {
					esm3.Sum(kib)
				}
			}},
			{"certs.SM3 (production)", func(b *testing.B) {
				for range b.N {
					certs.SM3(kib)
				}
			}},
		}},
	}
	for _, op := range ops {
		var base time.Duration
		for i, im := range op.impls {
			t := perOp(im.f)
			if i == 0 {
				base = t
			}
			row := CryptoRow{Op: op.op, Impl: im.name, PerOp: t, Ratio: float64(t) / float64(base)}
			r.Crypto = append(r.Crypto, row)
			o.logf("   %-10s %-40s %10s  %5.2f×", op.op, im.name, t, row.Ratio)
		}
	}
	return nil
}
