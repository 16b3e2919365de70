/* y4mgen W H FRAMES BITS: a synthetic 4:2:0 y4m clip on stdout, for
 * aomenc to encode into the AV1 streams the dav1d tests decode.
 * Gradients that move from frame to frame and a square that moves
 * against them, so the encoder uses intra and inter prediction, motion
 * vectors and residuals; the same arguments give the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void put_sample(unsigned v, int bits)
{
	if (bits == 8) {
		putchar((int)(v & 0xff));
	} else {   /* little-endian 16-bit samples (y4m's 420p10) */
		putchar((int)(v & 0xff));
		putchar((int)(v >> 8 & 0xff));
	}
}

static void put_plane(int w, int h, int f, int k, int bits)
{
	unsigned max = (1u << bits) - 1;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned v = (unsigned)(x * k + y * 2 + f * 3) % (max + 1);
			int sx = (f * 4) % w, sy = (f * 2) % h;
			if (x >= sx && x < sx + w / 6 && y >= sy && y < sy + h / 6)
				v = max - v / 2;
			put_sample(v, bits);
		}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: y4mgen WIDTH HEIGHT FRAMES BITS(8|10)\n");
		return 2;
	}
	int w = atoi(argv[1]), h = atoi(argv[2]), n = atoi(argv[3]), bits = atoi(argv[4]);
	if (w < 16 || h < 16 || w % 2 || h % 2 || n < 1 || (bits != 8 && bits != 10)) {
		fprintf(stderr, "y4mgen: need even WIDTH and HEIGHT >= 16, FRAMES >= 1, BITS 8 or 10\n");
		return 2;
	}
	printf("YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C%s\n", w, h, bits == 8 ? "420jpeg" : "420p10 XYSCSS=420P10");
	for (int f = 0; f < n; f++) {
		printf("FRAME\n");
		put_plane(w, h, f, 1, bits);
		put_plane(w / 2, h / 2, f, 2, bits);
		put_plane(w / 2, h / 2, f, 3, bits);
	}
	return fflush(stdout) ? 1 : 0;
}
