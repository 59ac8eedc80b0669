// Test helpers built from golang.org/x/mod's own code (Debian's golang-golang-x-mod-dev, GOPATH
// mode; see upstream-tools.ts):
//
//	upstream-tools sumdb NAME GOSUMFILE   a checksum database: x/mod's sumdb server over the go.sum
//	                                      lines in GOSUMFILE (read again for every lookup); prints
//	                                      "<verifier key> <host:port>", then one line per request
//	                                      path on stderr
//	upstream-tools bigzip MODULE VERSION FILES MIB OUT
//	                                      a module zip of FILES files of random bytes, MIB MiB in
//	                                      all, written by archive/zip as Go writes zips (stored
//	                                      entries, data descriptors); prints its dirhash.HashZip h1
//	upstream-tools hashzip FILE           prints dirhash.HashZip of a zip
package main

import (
	"archive/zip"
	"bufio"
	"crypto/rand"
	"fmt"
	mrand "math/rand"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/dirhash"
	"golang.org/x/mod/sumdb/note"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: upstream-tools sumdb|bigzip|hashzip …")
	}
	switch os.Args[1] {
	case "sumdb":
		serveSumdb(os.Args[2], os.Args[3])
	case "bigzip":
		files, _ := strconv.Atoi(os.Args[4])
		mib, _ := strconv.Atoi(os.Args[5])
		bigZip(os.Args[2], os.Args[3], files, mib, os.Args[6])
		printHash(os.Args[6])
	case "hashzip":
		printHash(os.Args[2])
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}

func serveSumdb(name, goSumFile string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		fail(err.Error())
	}
	gosum := func(path, vers string) ([]byte, error) {
		data, err := os.ReadFile(goSumFile)
		if err != nil {
			return nil, err
		}
		var lines []string
		scanner := bufio.NewScanner(strings.NewReader(string(data)))
		for scanner.Scan() {
			fields := strings.Fields(scanner.Text())
			if len(fields) == 3 && fields[0] == path && (fields[1] == vers || fields[1] == vers+"/go.mod") {
				lines = append(lines, scanner.Text()+"\n")
			}
		}
		if len(lines) != 2 {
			return nil, fmt.Errorf("%s@%s: %w", path, vers, os.ErrNotExist)
		}
		return []byte(strings.Join(lines, "")), nil
	}
	server := sumdb.NewServer(sumdb.NewTestServer(skey, gosum))
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err.Error())
	}
	fmt.Printf("%s %s\n", vkey, listener.Addr())
	err = http.Serve(listener, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(os.Stderr, "%s %s\n", r.Method, r.URL.Path)
		server.ServeHTTP(w, r)
	}))
	fail(err.Error())
}

func bigZip(path, version string, files, mib int, out string) {
	f, err := os.Create(out)
	if err != nil {
		fail(err.Error())
	}
	w := zip.NewWriter(f)
	prefix := path + "@" + version + "/"
	add := func(name string, data []byte) {
		entry, err := w.CreateHeader(&zip.FileHeader{Name: prefix + name, Method: zip.Store})
		if err == nil {
			_, err = entry.Write(data)
		}
		if err != nil {
			fail(err.Error())
		}
	}
	add("go.mod", []byte("module "+path+"\n"))
	random := mrand.New(mrand.NewSource(1))
	data := make([]byte, mib*(1<<20)/files)
	for i := 0; i < files; i++ {
		random.Read(data)
		add(fmt.Sprintf("pkg/tool/part%03d.bin", i), data)
	}
	if err := w.Close(); err != nil {
		fail(err.Error())
	}
	if err := f.Close(); err != nil {
		fail(err.Error())
	}
	if err := module.CheckPath(path); err != nil {
		fail(err.Error())
	}
}

func printHash(file string) {
	sum, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		fail(err.Error())
	}
	fmt.Println(sum)
}
