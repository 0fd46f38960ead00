// A stand-in for Futu's OpenD tarball, laid out like the real one, and a local HTTP server that serves it.
//
// Layout (as Futu ships the Ubuntu build; the command-line program folder is nested twice, a GUI build beside it):
//   Futu_OpenD_<ver>_Ubuntu18.04/
//     README.txt
//     Futu_OpenD-GUI_<ver>_Ubuntu18.04/Futu_OpenD-GUI.AppImage, AppData.dat   (must NOT end up in the image)
//     Futu_OpenD_<ver>_Ubuntu18.04/
//       FutuOpenD                 a real ELF executable (built here with gcc) that needs:
//                                   libFTstub.so  (ours, beside it: a symlink to libFTstub.so.<ver>)
//                                   libglib-2.0.so.0 (the system's: the image must install GLib)
//       libFTstub.so.<ver>        a real shared library
//       libFTstub.so -> libFTstub.so.<ver>
//       AppData.dat               random bytes (checked byte for byte in the image)
//       FutuOpenD.xml             the sample config
//       Resources/lang/en.txt     a subfolder
// Running FutuOpenD prints "stand-in OpenD <ver>: FT <ver>, GLib ok" when both libraries load and GLib's real
// glib_check_version answers; at link time a throwaway stub with GLib's soname stands in for GLib, so the build
// machine needs no GLib development files.
//
// The server answers GET /<name>; with `resetFirst` it sends the headers and half the body of the first request,
// then destroys the socket (a connection reset in mid-transfer), to prove the Dockerfile's download retries.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

export interface OpenDFixture {
  version: string;
  fileName: string;
  tarball: Buffer;
  sha256: string;
  appData: Buffer;
}

function gcc(args: string[], cwd: string): void {
  execFileSync('gcc', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

/**
 * `needsMissingLib`: the binary also needs libopend-missing.so.1, which neither the tarball nor any Debian
 * package provides (a stub stands in for it at link time only), so the Dockerfile's ldd check must fail.
 */
export function makeOpenDFixture(dir: string, version: string, opts: { needsMissingLib?: boolean } = {}): OpenDFixture {
  const name = `Futu_OpenD_${version}_Ubuntu18.04`;
  const outer = join(dir, 'tree', name);
  const prog = join(outer, name);
  const src = join(dir, 'src');
  const stub = join(dir, 'stub');
  for (const d of [prog, join(prog, 'Resources/lang'), join(outer, `Futu_OpenD-GUI_${version}_Ubuntu18.04`), src, stub]) mkdirSync(d, { recursive: true });

  writeFileSync(join(src, 'ft.c'), `const char *ft_version(void) { return "${version}"; }\n`);
  writeFileSync(join(src, 'glibstub.c'), 'const char *glib_check_version(unsigned a, unsigned b, unsigned c) { (void)a; (void)b; (void)c; return "stub"; }\n');
  writeFileSync(
    join(src, 'main.c'),
    [
      '#include <stdio.h>',
      'const char *ft_version(void);',
      'const char *glib_check_version(unsigned, unsigned, unsigned);',
      'int main(void) {',
      '  const char *glib = glib_check_version(2, 0, 0);',
      `  printf("stand-in OpenD ${version}: FT %s, GLib %s\\n", ft_version(), glib ? glib : "ok");`,
      '  return glib ? 1 : 0;',
      '}',
      '',
    ].join('\n'),
  );
  gcc(['-shared', '-fPIC', '-Wl,-soname,libFTstub.so', '-o', join(prog, `libFTstub.so.${version}`), join(src, 'ft.c')], dir);
  symlinkSync(`libFTstub.so.${version}`, join(prog, 'libFTstub.so'));
  gcc(['-shared', '-fPIC', '-Wl,-soname,libglib-2.0.so.0', '-o', join(stub, 'libglib-2.0.so.0'), join(src, 'glibstub.c')], dir);
  const missing: string[] = [];
  if (opts.needsMissingLib) {
    writeFileSync(join(src, 'missing.c'), 'int opend_missing(void) { return 0; }\n');
    gcc(['-shared', '-fPIC', '-Wl,-soname,libopend-missing.so.1', '-o', join(stub, 'libopend-missing.so.1'), join(src, 'missing.c')], dir);
    missing.push('-Wl,--no-as-needed', '-l:libopend-missing.so.1');
  }
  gcc(['-o', join(prog, 'FutuOpenD'), join(src, 'main.c'), `-L${prog}`, '-lFTstub', `-L${stub}`, '-l:libglib-2.0.so.0', ...missing], dir);

  const appData = randomBytes(4096);
  writeFileSync(join(prog, 'AppData.dat'), appData);
  writeFileSync(join(prog, 'FutuOpenD.xml'), '<FutuOpenD><ip>127.0.0.1</ip><api_port>11111</api_port></FutuOpenD>\n');
  writeFileSync(join(prog, 'Resources/lang/en.txt'), 'stand-in resource\n');
  writeFileSync(join(outer, 'README.txt'), 'stand-in readme\n');
  writeFileSync(join(outer, `Futu_OpenD-GUI_${version}_Ubuntu18.04`, 'Futu_OpenD-GUI.AppImage'), 'not an AppImage\n');
  // A second AppData.dat without a command-line binary beside it: the Dockerfile must not pick this folder.
  writeFileSync(join(outer, `Futu_OpenD-GUI_${version}_Ubuntu18.04`, 'AppData.dat'), 'the GUI build\n');

  const fileName = `${name}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, fileName), '-C', join(dir, 'tree'), name], { timeout: 60_000 });
  const tarball = readFileSync(join(dir, fileName));
  return { version, fileName, tarball, sha256: createHash('sha256').update(tarball).digest('hex'), appData };
}

export interface FixtureServer {
  url: string;
  /** GET requests received for the tarball, and how many were cut off in mid-transfer. */
  stats: { requests: number; resets: number };
  close(): Promise<void>;
}

export function serveFixture(f: OpenDFixture, opts: { resetFirst: boolean }): Promise<FixtureServer> {
  const stats = { requests: 0, resets: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url !== `/${f.fileName}`) {
      res.writeHead(404).end();
      return;
    }
    stats.requests++;
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': f.tarball.length });
    if (opts.resetFirst && stats.requests === 1) {
      stats.resets++;
      res.write(f.tarball.subarray(0, f.tarball.length >> 1), () => setTimeout(() => req.socket.destroy(), 50));
      return;
    }
    res.end(f.tarball);
  });
  return new Promise((done) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      done({
        url: `http://127.0.0.1:${port}/${f.fileName}`,
        stats,
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    }),
  );
}
