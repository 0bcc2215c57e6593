// SPDX-License-Identifier: MIT
/*
 * tcpgatectl.c - talk to a running tcpgate over its control socket
 *
 * Theory of operation: connect to the AF_UNIX socket (-s, default
 * /run/tcpgate/control.sock), send one command line, read the answer until
 * tcpgate closes the connection, print it. Blocks of tab-separated lines
 * (the tables of "status" and "connections") are printed with aligned
 * columns. Exit: 0 ok; 1 the command failed (a refused reload, an error
 * answer); 2 usage error or tcpgate unreachable.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_DEFAULT_SOCKET	"/run/tcpgate/control.sock"
#define CTL_MAX_COLS		32

/**
 * usage() - print the usage text
 * @f:		stream
 */
static void usage(FILE *f)
{
	fputs("Usage: tcpgatectl [-s SOCKET] reload|status|connections\n"
	      "       tcpgatectl --version | --help\n"
	      "  -s, --socket SOCKET  control socket (default " CTL_DEFAULT_SOCKET ")\n"
	      "  -V, --version        print the version\n"
	      "  -h, --help           this text\n"
	      "Exit: 0 ok, 1 command failed (e.g. reload refused), 2 usage or connection error.\n"
	      "See tcpgatectl(8).\n", f);
}

/**
 * ctl_request() - send @cmd and read the whole answer
 * @path:	socket path
 * @cmd:	command
 *
 * Return: malloc'ed answer, or NULL (message printed)
 */
static char *ctl_request(const char *path, const char *cmd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (!buf || fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    dprintf(fd, "%s\n", cmd) < 0) {
		fprintf(stderr, "tcpgatectl: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			char *p = realloc(buf, cap *= 2);

			if (!p)
				goto fail;
			buf = p;
		}
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/**
 * print_block() - print lines [@first, @last) of tab-separated cells aligned
 * @lines:	the lines
 * @first:	first line of the block
 * @last:	one past the last
 */
static void print_block(char **lines, size_t first, size_t last)
{
	size_t w[CTL_MAX_COLS] = { 0 };

	for (size_t i = first; i < last; i++) {
		size_t col = 0;

		for (char *p = lines[i]; col < CTL_MAX_COLS; col++) {
			size_t l = strcspn(p, "\t");

			if (l > w[col])
				w[col] = l;
			if (!p[l])
				break;
			p += l + 1;
		}
	}
	for (size_t i = first; i < last; i++) {
		size_t col = 0;

		for (char *p = lines[i]; ; col++) {
			size_t l = strcspn(p, "\t");
			int last_col = !p[l];

			printf("%.*s", (int)l, p);
			if (last_col)
				break;
			printf("%*s", (int)(w[col < CTL_MAX_COLS ? col : 0] - l + 2), "");
			p += l + 1;
		}
		putchar('\n');
	}
}

/**
 * print_aligned() - print an answer, aligning its tab-separated blocks
 * @text:	the answer (modified)
 */
static void print_aligned(char *text)
{
	size_t n = 0, cap = 64, start = 0;
	char **lines = malloc(cap * sizeof(*lines));

	if (!lines) {
		fputs(text, stdout);
		return;
	}
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (n == cap) {
			char **p = realloc(lines, (cap *= 2) * sizeof(*lines));

			if (!p)
				break;
			lines = p;
		}
		lines[n++] = l;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && strchr(lines[i], '\t'))
			continue;
		print_block(lines, start, i);
		if (i < n)
			puts(lines[i]);
		start = i + 1;
	}
	free(lines);
}

/**
 * main() - tcpgatectl entry point
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: exit code (see the file comment)
 */
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CTL_DEFAULT_SOCKET, *cmd;
	char *ans;
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'V': printf("tcpgatectl %s\n", TCPGATE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[optind];
	if (strcmp(cmd, "reload") && strcmp(cmd, "status") && strcmp(cmd, "connections")) {
		fprintf(stderr, "tcpgatectl: unknown command '%s'\n", cmd);
		usage(stderr);
		return 2;
	}
	ans = ctl_request(path, cmd);
	if (!ans)
		return 2;
	if (!strcmp(cmd, "reload")) {
		rc = strncmp(ans, "ok generation ", 14) ? 1 : 0;
		fputs(ans, rc ? stderr : stdout);
	} else {
		rc = strncmp(ans, "error:", 6) ? 0 : 1;
		print_aligned(ans);
	}
	free(ans);
	return rc;
}
