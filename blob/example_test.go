package blob_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gridcast/gridcast/blob"
	"github.com/gridcast/gridcast/blob/localfs"
)

func ExampleMedia_Put() {
	dir, _ := os.MkdirTemp("", "blob-example")
	defer os.RemoveAll(dir)
	store, _ := localfs.New(dir)
	media, _ := blob.NewMedia(store, blob.Limits{})
	ctx := context.Background()

	voice, err := media.Put(ctx, strings.NewReader("#!AMR\n<voice frames>"))
	fmt.Println(voice.Key[:9], voice.ContentType, voice.Size, err)

	again, _ := media.Put(ctx, strings.NewReader("#!AMR\n<voice frames>"))
	fmt.Println("duplicate:", again.Duplicate, again.Key == voice.Key)

	_, err = media.Put(ctx, strings.NewReader("<html>photo.jpg</html>"))
	fmt.Println(errors.Is(err, blob.ErrRefused), errors.Is(err, blob.ErrTypeNotAllowed))
	// Output:
	// media/5d/ audio/amr 20 <nil>
	// duplicate: true true
	// true true
}
