/**
 * The addon's C source, kept in a module so a bundled agent carries it too: loadNativeFs()
 * writes it beside the build it caches and compiles it with the system's C compiler.
 */
export const FERRY_FS_C = String.raw`/*
 * The few Linux calls file-level transfer needs that Node 20 lacks: extended attributes (which
 * carry POSIX ACLs and security.* labels), mknod, nanosecond timestamps without following
 * symlinks, syncfs, and SEEK_DATA/SEEK_HOLE. Paths are Buffers (any bytes but NUL), so names that
 * are not UTF-8 survive. Errors are thrown as Error objects with "code" set to the errno name.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <node_api.h>

#define MAX_PATH_BYTES 8192

static const char *errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENOTSUP: return "ENOTSUP";
    case ENODATA: return "ENODATA";
    case ERANGE: return "ERANGE";
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EINVAL: return "EINVAL";
    case ENOTDIR: return "ENOTDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENXIO: return "ENXIO";
    case EBADF: return "EBADF";
    case EROFS: return "EROFS";
    case E2BIG: return "E2BIG";
    case ELOOP: return "ELOOP";
    default: return "EIO";
  }
}

static napi_value throw_errno(napi_env env, const char *syscall, int e) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s (%s)", syscall, strerror(e), errno_code(e));
  napi_value code = NULL, message = NULL, error = NULL, errnum = NULL, sys = NULL;
  /* Any call fails while the thread is being terminated: then nothing is thrown. */
  if (napi_create_string_utf8(env, errno_code(e), NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok || napi_create_error(env, code, message, &error) != napi_ok)
    return NULL;
  if (napi_create_int32(env, -e, &errnum) == napi_ok) napi_set_named_property(env, error, "errno", errnum);
  if (napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys) == napi_ok) napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

/* Copies a Buffer argument into a NUL-terminated C string. */
static int get_path(napi_env env, napi_value v, char *out, size_t cap) {
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, v, &data, &len) != napi_ok || len + 1 > cap) {
    napi_throw_type_error(env, NULL, "expected a Buffer path shorter than 8 KiB");
    return -1;
  }
  memcpy(out, data, len);
  out[len] = 0;
  return 0;
}

static double get_number(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

/* listXattrs(path: Buffer, fd?: number): Array<[Buffer name, Buffer value]>; never follows a symlink. */
static napi_value list_xattrs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES];
  int fd = -1;
  if (argc > 1) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_number) fd = (int)get_number(env, argv[1]);
  }
  if (fd < 0 && get_path(env, argv[0], path, sizeof path) < 0) return NULL;
  napi_value result = NULL;
  if (napi_create_array(env, &result) != napi_ok) return NULL;
  char stack_names[4096];
  char *names = stack_names;
  ssize_t n = fd >= 0 ? flistxattr(fd, names, sizeof stack_names) : llistxattr(path, names, sizeof stack_names);
  if (n < 0 && errno == ERANGE) {
    ssize_t need = fd >= 0 ? flistxattr(fd, NULL, 0) : llistxattr(path, NULL, 0);
    if (need < 0) return throw_errno(env, "llistxattr", errno);
    names = malloc(need + 1);
    n = fd >= 0 ? flistxattr(fd, names, need) : llistxattr(path, names, need);
  }
  if (n < 0) {
    int e = errno;
    if (names != stack_names) free(names);
    if (e == ENOTSUP) return result;
    return throw_errno(env, "llistxattr", e);
  }
  uint32_t index = 0;
  char value_stack[4096];
  for (ssize_t off = 0; off < n;) {
    const char *name = names + off;
    size_t name_len = strlen(name);
    off += name_len + 1;
    char *value = value_stack;
    ssize_t vlen = fd >= 0 ? fgetxattr(fd, name, value, sizeof value_stack) : lgetxattr(path, name, value, sizeof value_stack);
    if (vlen < 0 && errno == ERANGE) {
      ssize_t need = fd >= 0 ? fgetxattr(fd, name, NULL, 0) : lgetxattr(path, name, NULL, 0);
      if (need >= 0) {
        value = malloc(need + 1);
        vlen = fd >= 0 ? fgetxattr(fd, name, value, need) : lgetxattr(path, name, value, need);
      }
    }
    if (vlen < 0) {
      int e = errno;
      if (value != value_stack) free(value);
      if (e == ENODATA) continue; /* removed between list and get */
      if (names != stack_names) free(names);
      return throw_errno(env, "lgetxattr", e);
    }
    napi_value pair = NULL, nb = NULL, vb = NULL;
    bool is_made = napi_create_buffer_copy(env, name_len, name, NULL, &nb) == napi_ok && napi_create_buffer_copy(env, vlen, value, NULL, &vb) == napi_ok &&
                   napi_create_array_with_length(env, 2, &pair) == napi_ok;
    if (value != value_stack) free(value);
    if (!is_made) {
      if (names != stack_names) free(names);
      return NULL;
    }
    napi_set_element(env, pair, 0, nb);
    napi_set_element(env, pair, 1, vb);
    napi_set_element(env, result, index++, pair);
  }
  if (names != stack_names) free(names);
  return result;
}

/* setXattr(path: Buffer, name: Buffer, value: Buffer): undefined (lsetxattr). */
static napi_value set_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES], name[512];
  if (get_path(env, argv[0], path, sizeof path) < 0 || get_path(env, argv[1], name, sizeof name) < 0) return NULL;
  void *value;
  size_t vlen;
  napi_get_buffer_info(env, argv[2], &value, &vlen);
  if (lsetxattr(path, name, value, vlen, 0) < 0) return throw_errno(env, "lsetxattr", errno);
  return NULL;
}

/* removeXattr(path: Buffer, name: Buffer): undefined (lremovexattr; a missing name is not an error). */
static napi_value remove_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES], name[512];
  if (get_path(env, argv[0], path, sizeof path) < 0 || get_path(env, argv[1], name, sizeof name) < 0) return NULL;
  if (lremovexattr(path, name) < 0 && errno != ENODATA) return throw_errno(env, "lremovexattr", errno);
  return NULL;
}

/* mknod(path: Buffer, mode: number, rdev: number): undefined; rdev is the kernel's st_rdev. */
static napi_value do_mknod(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES];
  if (get_path(env, argv[0], path, sizeof path) < 0) return NULL;
  mode_t mode = (mode_t)get_number(env, argv[1]);
  dev_t rdev = (dev_t)get_number(env, argv[2]);
  if (mknod(path, mode, rdev) < 0) return throw_errno(env, "mknod", errno);
  return NULL;
}

/*
 * utimens(path: Buffer | null, fd: number, mtimeSec, mtimeNsec, atimeSec?, atimeNsec?): sets the
 * modification time to the nanosecond (atime too when given, else leaves it), never following a
 * symlink. With fd >= 0 and a null path it is futimens.
 */
static napi_value utimens(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  int fd = (int)get_number(env, argv[1]);
  struct timespec ts[2];
  ts[1].tv_sec = (time_t)get_number(env, argv[2]);
  ts[1].tv_nsec = (long)get_number(env, argv[3]);
  if (argc >= 6) {
    ts[0].tv_sec = (time_t)get_number(env, argv[4]);
    ts[0].tv_nsec = (long)get_number(env, argv[5]);
  } else {
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
  }
  if (t == napi_null || t == napi_undefined) {
    if (futimens(fd, ts) < 0) return throw_errno(env, "futimens", errno);
    return NULL;
  }
  char path[MAX_PATH_BYTES];
  if (get_path(env, argv[0], path, sizeof path) < 0) return NULL;
  if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) < 0) return throw_errno(env, "utimensat", errno);
  return NULL;
}

/* syncfs(fd): flushes the whole filesystem holding fd — one call instead of an fsync per file. */
static napi_value do_syncfs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (syncfs((int)get_number(env, argv[0])) < 0) return throw_errno(env, "syncfs", errno);
  return NULL;
}

/* seekData(fd, offset, isHole): the next data (or hole) offset at or after offset, or -1 past the end. */
static napi_value seek_data(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_hole = false;
  napi_get_value_bool(env, argv[2], &is_hole);
  off_t r = lseek((int)get_number(env, argv[0]), (off_t)get_number(env, argv[1]), is_hole ? SEEK_HOLE : SEEK_DATA);
  napi_value out = NULL;
  if (r < 0) {
    if (errno == ENXIO) {
      napi_create_double(env, -1, &out);
      return out;
    }
    return throw_errno(env, "lseek", errno);
  }
  napi_create_double(env, (double)r, &out);
  return out;
}

/* makeDev(major, minor) / devMajor(rdev) / devMinor(rdev): glibc's encoding, for mknod via a tool. */
static napi_value dev_parts(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  dev_t d = (dev_t)get_number(env, argv[0]);
  napi_value arr = NULL, a = NULL, b = NULL;
  if (napi_create_array_with_length(env, 2, &arr) != napi_ok || napi_create_double(env, major(d), &a) != napi_ok ||
      napi_create_double(env, minor(d), &b) != napi_ok)
    return NULL;
  napi_set_element(env, arr, 0, a);
  napi_set_element(env, arr, 1, b);
  return arr;
}

/* Stat fields as doubles, in this order (STAT_FIELDS in native-fs.ts). */
#define NSTAT 13
static void fill_stat(double *o, const struct stat *st) {
  o[0] = (double)st->st_ino;
  o[1] = (double)st->st_mode;
  o[2] = (double)st->st_nlink;
  o[3] = (double)st->st_uid;
  o[4] = (double)st->st_gid;
  o[5] = (double)st->st_rdev;
  o[6] = (double)st->st_size;
  o[7] = (double)st->st_blocks;
  o[8] = (double)st->st_mtim.tv_sec;
  o[9] = (double)st->st_mtim.tv_nsec;
  o[10] = (double)st->st_ctim.tv_sec;
  o[11] = (double)st->st_ctim.tv_nsec;
  o[12] = (double)st->st_dev;
}

/*
 * NULL when it cannot be made (the thread is being terminated, or memory ran out); *data may be
 * NULL for no entries.
 */
static napi_value make_stat_array(napi_env env, size_t count, double **data) {
  napi_value ab = NULL, arr = NULL;
  void *raw = NULL;
  *data = NULL;
  if (napi_create_arraybuffer(env, count * NSTAT * sizeof(double), &raw, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, count * NSTAT, ab, 0, &arr) != napi_ok || (count > 0 && !raw))
    return NULL;
  *data = raw;
  return arr;
}

/* lstat(path): Float64Array of NSTAT fields, or null when the path does not exist. */
static napi_value lstat_one(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES];
  if (get_path(env, argv[0], path, sizeof path) < 0) return NULL;
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return throw_errno(env, "lstat", errno);
  }
  double *o;
  napi_value arr = make_stat_array(env, 1, &o);
  if (!arr) return NULL;
  fill_stat(o, &st);
  return arr;
}

/*
 * scanDir(path): [names, stats] for every entry but . and .. — names as one Buffer of
 * NUL-terminated names, stats as NSTAT doubles per entry (lstat, relative to the open folder,
 * so deep trees cost no path walk). An entry that vanished between readdir and lstat has mode 0.
 */
static napi_value scan_dir(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES];
  if (get_path(env, argv[0], path, sizeof path) < 0) return NULL;
  DIR *d = opendir(path);
  if (!d) return throw_errno(env, "opendir", errno);
  int dfd = dirfd(d);
  size_t cap = 64, count = 0, nbytes = 0, ncap = 4096;
  struct stat *sts = malloc(cap * sizeof(struct stat));
  char *names = malloc(ncap);
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    size_t len = strlen(e->d_name) + 1;
    if (count == cap) {
      cap *= 2;
      sts = realloc(sts, cap * sizeof(struct stat));
    }
    while (nbytes + len > ncap) {
      ncap *= 2;
      names = realloc(names, ncap);
    }
    memcpy(names + nbytes, e->d_name, len);
    nbytes += len;
    if (fstatat(dfd, e->d_name, &sts[count], AT_SYMLINK_NOFOLLOW) < 0) memset(&sts[count], 0, sizeof(struct stat));
    count++;
  }
  int err = errno;
  closedir(d);
  if (err) {
    free(sts);
    free(names);
    return throw_errno(env, "readdir", err);
  }
  napi_value result = NULL, nb = NULL;
  double *o = NULL;
  napi_value arr = napi_create_buffer_copy(env, nbytes, names, NULL, &nb) == napi_ok ? make_stat_array(env, count, &o) : NULL;
  if (arr) for (size_t i = 0; i < count; i++) fill_stat(o + i * NSTAT, &sts[i]);
  free(sts);
  free(names);
  if (!arr || napi_create_array_with_length(env, 2, &result) != napi_ok) return NULL;
  napi_set_element(env, result, 0, nb);
  napi_set_element(env, result, 1, arr);
  return result;
}

/*
 * writeFile(tmp, final, data, size, mode, uid, gid, mtimeSec, mtimeNsec, flags): the whole life
 * of a small file in one call — create tmp exclusively, write (holes kept when flags & 1: the
 * file is sized first and zero blocks are skipped), chown (flags & 2), chmod, set the time,
 * close, rename onto final — and returns final's stat. Extended attributes are set by the caller
 * on tmp first when a file has any (flags & 4 then leaves the rename to the caller).
 */
static napi_value write_file(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char tmp[MAX_PATH_BYTES], fin[MAX_PATH_BYTES];
  if (get_path(env, argv[0], tmp, sizeof tmp) < 0 || get_path(env, argv[1], fin, sizeof fin) < 0) return NULL;
  void *data;
  size_t len;
  napi_get_buffer_info(env, argv[2], &data, &len);
  off_t size = (off_t)get_number(env, argv[3]);
  mode_t mode = (mode_t)get_number(env, argv[4]);
  uid_t uid = (uid_t)get_number(env, argv[5]);
  gid_t gid = (gid_t)get_number(env, argv[6]);
  struct timespec ts[2];
  ts[0].tv_sec = 0;
  ts[0].tv_nsec = UTIME_OMIT;
  ts[1].tv_sec = (time_t)get_number(env, argv[7]);
  ts[1].tv_nsec = (long)get_number(env, argv[8]);
  int flags = (int)get_number(env, argv[9]);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return throw_errno(env, "open", errno);
  const char *step = "write";
  if ((flags & 1) && ftruncate(fd, size) < 0) goto fail;
  for (size_t off = 0; off < len;) {
    size_t n = len - off;
    if (flags & 1) {
      static const char zero[4096];
      size_t blk = n < 4096 ? n : 4096;
      if (memcmp((char *)data + off, zero, blk) == 0) {
        off += blk;
        continue;
      }
      size_t run = blk;
      while (off + run < len) {
        size_t b = len - off - run < 4096 ? len - off - run : 4096;
        if (memcmp((char *)data + off + run, zero, b) == 0) break;
        run += b;
      }
      n = run;
    }
    ssize_t w = pwrite(fd, (char *)data + off, n, off);
    if (w < 0) goto fail;
    off += w;
  }
  step = "fchown";
  if ((flags & 2) && fchown(fd, uid, gid) < 0) goto fail;
  step = "fchmod";
  if (fchmod(fd, mode) < 0) goto fail;
  if (flags & 4) {
    close(fd);
    napi_value u;
    napi_get_undefined(env, &u);
    return u;
  }
  step = "futimens";
  if (futimens(fd, ts) < 0) goto fail;
  close(fd);
  step = "rename";
  if (rename(tmp, fin) < 0) {
    int e = errno;
    unlink(tmp);
    return throw_errno(env, step, e);
  }
  struct stat st;
  if (lstat(fin, &st) < 0) return throw_errno(env, "lstat", errno);
  double *o;
  napi_value arr = make_stat_array(env, 1, &o);
  if (!arr) return NULL;
  fill_stat(o, &st);
  return arr;
fail: {
  int e = errno;
  close(fd);
  unlink(tmp);
  return throw_errno(env, step, e);
}
}

/*
 * readSmall(path, max): up to max bytes of a file (open without following a symlink, read, close
 * in one call), or null when it vanished or became a symlink. Reading max + 1 tells a file that
 * grew since its lstat.
 */
static napi_value read_small(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[MAX_PATH_BYTES];
  if (get_path(env, argv[0], path, sizeof path) < 0) return NULL;
  size_t max = (size_t)get_number(env, argv[1]);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR) {
      napi_value n;
      napi_get_null(env, &n);
      return n;
    }
    return throw_errno(env, "open", errno);
  }
  void *data = NULL;
  napi_value buf = NULL;
  if (napi_create_buffer(env, max, &data, &buf) != napi_ok || !data) {
    close(fd);
    return NULL;
  }
  size_t got = 0;
  while (got < max) {
    ssize_t n = read(fd, (char *)data + got, max - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return throw_errno(env, "read", e);
    }
    if (n == 0) break;
    got += n;
  }
  close(fd);
  if (got == max) return buf;
  napi_value out = NULL, start = NULL, end = NULL, fn = NULL, args[2];
  /* buf.subarray(0, got) */
  if (napi_get_named_property(env, buf, "subarray", &fn) != napi_ok || napi_create_double(env, 0, &start) != napi_ok ||
      napi_create_double(env, (double)got, &end) != napi_ok)
    return NULL;
  args[0] = start;
  args[1] = end;
  if (napi_call_function(env, buf, fn, 2, args, &out) != napi_ok) return NULL;
  return out;
}

/*
 * XXH64 (xxHash's 64-bit hash, as specified by its author; checked against hash-wasm in
 * native-fs.test.ts). Small files hash here, where a crypto hash object per file cost more than
 * reading the file.
 */
#define XXP1 0x9E3779B185EBCA87ULL
#define XXP2 0xC2B2AE3D27D4EB4FULL
#define XXP3 0x165667B19E3779F9ULL
#define XXP4 0x85EBCA77C2B2AE63ULL
#define XXP5 0x27D4EB2F165667C5ULL

static uint64_t xx_rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
static uint64_t xx_read64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t xx_read32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t xx_round(uint64_t acc, uint64_t input) {
  acc += input * XXP2;
  return xx_rotl(acc, 31) * XXP1;
}
static uint64_t xx_merge(uint64_t acc, uint64_t val) {
  acc ^= xx_round(0, val);
  return acc * XXP1 + XXP4;
}

/* The last bytes (under 32) and the final mix, shared by the one-shot and streaming forms. */
static uint64_t xx_tail(uint64_t h, const unsigned char *p, const unsigned char *end) {
  for (; p + 8 <= end; p += 8) h = xx_rotl(h ^ xx_round(0, xx_read64(p)), 27) * XXP1 + XXP4;
  if (p + 4 <= end) {
    h = xx_rotl(h ^ ((uint64_t)xx_read32(p) * XXP1), 23) * XXP2 + XXP3;
    p += 4;
  }
  for (; p < end; p++) h = xx_rotl(h ^ (*p * XXP5), 11) * XXP1;
  h ^= h >> 33;
  h *= XXP2;
  h ^= h >> 29;
  h *= XXP3;
  h ^= h >> 32;
  return h;
}

static uint64_t xxh64(const unsigned char *p, size_t len, uint64_t seed) {
  const unsigned char *end = p + len;
  uint64_t h;
  if (len >= 32) {
    uint64_t v1 = seed + XXP1 + XXP2, v2 = seed + XXP2, v3 = seed, v4 = seed - XXP1;
    const unsigned char *limit = end - 32;
    do {
      v1 = xx_round(v1, xx_read64(p));
      v2 = xx_round(v2, xx_read64(p + 8));
      v3 = xx_round(v3, xx_read64(p + 16));
      v4 = xx_round(v4, xx_read64(p + 24));
      p += 32;
    } while (p <= limit);
    h = xx_rotl(v1, 1) + xx_rotl(v2, 7) + xx_rotl(v3, 12) + xx_rotl(v4, 18);
    h = xx_merge(h, v1);
    h = xx_merge(h, v2);
    h = xx_merge(h, v3);
    h = xx_merge(h, v4);
  } else {
    h = seed + XXP5;
  }
  h += (uint64_t)len;
  return xx_tail(h, p, end);
}

/* Whether v is a typed array of type want; if so, its data and its length in elements. */
static bool typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  return napi_get_typedarray_info(env, v, &type, len, data, &ab, &offset) == napi_ok && type == want;
}

/* The (data: Uint8Array, seed: number) arguments of xxh64 and hash16; -1 after throwing. */
static int get_hash_args(napi_env env, napi_callback_info info, const unsigned char **data, size_t *len, uint64_t *seed) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *bytes;
  if (argc < 2 || !typed_array(env, argv[0], napi_uint8_array, &bytes, len)) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array");
    return -1;
  }
  *data = (const unsigned char *)bytes;
  *seed = (uint64_t)get_number(env, argv[1]);
  return 0;
}

/* A Buffer holding a copy of n bytes; NULL (nothing) when it cannot be made. */
static napi_value buffer_copy_of(napi_env env, const void *bytes, size_t n) {
  napi_value buf = NULL;
  if (napi_create_buffer_copy(env, n, n ? bytes : (const void *)"", NULL, &buf) != napi_ok) return NULL;
  return buf;
}

static void put_be64(unsigned char *out, uint64_t h) {
  for (int i = 0; i < 8; i++) out[i] = (unsigned char)(h >> (56 - 8 * i));
}

/* xxh64(data: Uint8Array, seed: number): the 8 hash bytes, big-endian, as a Buffer (seed below 2^53). */
static napi_value xxh64_js(napi_env env, napi_callback_info info) {
  const unsigned char *data;
  size_t len;
  uint64_t seed;
  if (get_hash_args(env, info, &data, &len, &seed) < 0) return NULL;
  unsigned char out[8];
  put_be64(out, xxh64(data, len, seed));
  return buffer_copy_of(env, out, sizeof out);
}

/* acc ^= hash16(tag) of p[0, n): hash16 itself on zeros, and the step of xorHash16 and childFacts. */
static void xor_hash16_into(unsigned char acc[16], const unsigned char *p, size_t n, uint64_t tag) {
  unsigned char one[16];
  put_be64(one, xxh64(p, n, tag));
  put_be64(one + 8, xxh64(p, n, tag + (1ULL << 32)));
  for (int b = 0; b < 16; b++) acc[b] ^= one[b];
}

/*
 * hash16(data: Uint8Array, tag: number): XXH64 of the bytes with seed tag, then with seed
 * tag + 2^32, big-endian: 16 bytes, two independent 64-bit hashes (change detection, not forgery).
 */
static napi_value hash16_js(napi_env env, napi_callback_info info) {
  const unsigned char *data;
  size_t len;
  uint64_t tag;
  if (get_hash_args(env, info, &data, &len, &tag) < 0) return NULL;
  unsigned char out[16] = {0};
  xor_hash16_into(out, data, len, tag);
  return buffer_copy_of(env, out, sizeof out);
}

/*
 * xorHash16(data: Uint8Array, ranges: Int32Array, tag: number): the XOR of hash16(tag) over
 * data[ranges[2i], ranges[2i+1]) for each pair — one call for a folder's records, not one each.
 */
static napi_value xor_hash16(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t len = 0, rlen = 0;
  void *bytes = NULL, *rbytes = NULL;
  if (argc < 3 || !typed_array(env, argv[0], napi_uint8_array, &bytes, &len) || !typed_array(env, argv[1], napi_int32_array, &rbytes, &rlen) || rlen % 2 != 0) {
    napi_throw_type_error(env, NULL, "expected a Uint8Array, an Int32Array of start and end pairs, and a tag");
    return NULL;
  }
  const unsigned char *data = bytes;
  const int32_t *r = rbytes;
  uint64_t tag = (uint64_t)get_number(env, argv[2]);
  unsigned char acc[16] = {0};
  for (size_t i = 0; i < rlen; i += 2) {
    if (r[i] < 0 || r[i + 1] < r[i] || (size_t)r[i + 1] > len) {
      napi_throw_range_error(env, NULL, "a range lies outside the data");
      return NULL;
    }
    xor_hash16_into(acc, data + r[i], (size_t)(r[i + 1] - r[i]), tag);
  }
  return buffer_copy_of(env, acc, sizeof acc);
}

/*
 * childFacts(names: Buffer, stats: Float64Array): what scanDir found in a folder, reduced to 16
 * bytes — the XOR over its children of hash16(tag 5) of (name, NUL, then inode, ctime seconds and
 * ctime nanoseconds as little-endian doubles). Order-independent: the receiver computes the same
 * value from its manifest's records of the folder (walk-index.ts childFactsOf).
 */
static napi_value child_facts(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t nlen = 0, slen = 0;
  void *nbytes = NULL, *sbytes = NULL;
  if (argc < 2 || !typed_array(env, argv[0], napi_uint8_array, &nbytes, &nlen) || !typed_array(env, argv[1], napi_float64_array, &sbytes, &slen)) {
    napi_throw_type_error(env, NULL, "expected the names and stats of scanDir");
    return NULL;
  }
  const unsigned char *names = nbytes;
  const double *st = sbytes;
  unsigned char acc[16] = {0}, rec[NAME_MAX + 1 + 24];
  size_t start = 0, i = 0;
  for (size_t k = 0; k < nlen; k++) {
    if (names[k] != 0) continue;
    size_t n = k - start;
    if ((i + 1) * NSTAT > slen || n > NAME_MAX) {
      napi_throw_error(env, NULL, "names and stats of scanDir do not match");
      return NULL;
    }
    memcpy(rec, names + start, n);
    rec[n] = 0;
    double f[3] = {st[i * NSTAT + 0], st[i * NSTAT + 10], st[i * NSTAT + 11]};
    memcpy(rec + n + 1, f, sizeof f); /* little-endian hosts only, as Node's are */
    xor_hash16_into(acc, rec, n + 1 + 24, 5);
    start = k + 1;
    i++;
  }
  return buffer_copy_of(env, acc, sizeof acc);
}

/* XXH64 over several pieces in turn (the streaming form of xxh64 above: same result). */
typedef struct {
  uint64_t v1, v2, v3, v4, seed, total;
  unsigned char mem[32];
  size_t memsize;
} xx_state;

static void xx_init(xx_state *s, uint64_t seed) {
  s->v1 = seed + XXP1 + XXP2;
  s->v2 = seed + XXP2;
  s->v3 = seed;
  s->v4 = seed - XXP1;
  s->seed = seed;
  s->total = 0;
  s->memsize = 0;
}

static void xx_stripe(xx_state *s, const unsigned char *p) {
  s->v1 = xx_round(s->v1, xx_read64(p));
  s->v2 = xx_round(s->v2, xx_read64(p + 8));
  s->v3 = xx_round(s->v3, xx_read64(p + 16));
  s->v4 = xx_round(s->v4, xx_read64(p + 24));
}

static void xx_update(xx_state *s, const unsigned char *p, size_t len) {
  const unsigned char *end = p + len;
  s->total += len;
  if (s->memsize + len < 32) {
    memcpy(s->mem + s->memsize, p, len);
    s->memsize += len;
    return;
  }
  if (s->memsize > 0) {
    size_t fill = 32 - s->memsize;
    memcpy(s->mem + s->memsize, p, fill);
    xx_stripe(s, s->mem);
    p += fill;
    s->memsize = 0;
  }
  for (; p + 32 <= end; p += 32) xx_stripe(s, p);
  if (p < end) {
    memcpy(s->mem, p, (size_t)(end - p));
    s->memsize = (size_t)(end - p);
  }
}

static uint64_t xx_digest(const xx_state *s) {
  uint64_t h;
  if (s->total >= 32) {
    h = xx_rotl(s->v1, 1) + xx_rotl(s->v2, 7) + xx_rotl(s->v3, 12) + xx_rotl(s->v4, 18);
    h = xx_merge(h, s->v1);
    h = xx_merge(h, s->v2);
    h = xx_merge(h, s->v3);
    h = xx_merge(h, s->v4);
  } else {
    h = s->seed + XXP5;
  }
  h += s->total;
  return xx_tail(h, s->mem, s->mem + s->memsize);
}

/* A growable byte buffer for chunk_windows; grow() returns -1 when memory runs out. */
typedef struct {
  unsigned char *p;
  size_t len, cap;
} bytes_t;

static int grow(bytes_t *b, size_t more) {
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more) cap *= 2;
  unsigned char *n = realloc(b->p, cap);
  if (!n) return -1;
  b->p = n;
  b->cap = cap;
  return 0;
}

static void put_le32(unsigned char *out, uint32_t v) {
  for (int i = 0; i < 4; i++) out[i] = (unsigned char)(v >> (8 * i));
}

#define WINDOW_BYTES 16384u

/*
 * chunkWindows(ext: Uint8Array, parts: Uint8Array[]): the window records of a block chunk, as
 * chunk-hash.ts's hashChunkData makes them with hash-wasm (the same bytes, checked there): for
 * each 16 KiB window the extents touch, u32 LE window index and XXH64 (big-endian) of the
 * window's bytes followed by its pieces' (u32 LE offset in window, u32 LE length).
 */
static napi_value chunk_windows(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  size_t ext_len;
  void *ext_bytes;
  bool is_array = false;
  if (argc < 2 || !typed_array(env, argv[0], napi_uint8_array, &ext_bytes, &ext_len) || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array) {
    napi_throw_type_error(env, NULL, "expected an extent list (Uint8Array) and an array of Uint8Array parts");
    return NULL;
  }
  const unsigned char *ext = ext_bytes;
  uint32_t part_count = 0;
  napi_get_array_length(env, argv[1], &part_count);
  if (ext_len < 4) {
    napi_throw_error(env, NULL, "extent list too short");
    return NULL;
  }
  uint32_t count = xx_read32(ext);
  if ((size_t)count * 8 + 4 > ext_len) {
    napi_throw_error(env, NULL, "extent list too short");
    return NULL;
  }
  bytes_t out = {0}, pieces = {0};
  const char *fail = NULL;
  uint32_t part = 0;
  size_t part_pos = 0, part_len = 0;
  const unsigned char *part_data = NULL;
  int64_t current = -1;
  xx_state st;
  for (uint32_t i = 0; i <= count && !fail; i++) {
    uint64_t pos = 0, end = 0;
    if (i < count) {
      pos = xx_read32(ext + 4 + i * 8);
      end = pos + xx_read32(ext + 8 + i * 8);
    }
    /* i == count: only the last window's finish below. */
    while (i == count || pos < end) {
      int64_t w = i == count ? -2 : (int64_t)(pos / WINDOW_BYTES);
      if (w != current) {
        if (current >= 0) {
          xx_update(&st, pieces.p, pieces.len);
          if (grow(&out, 12) < 0) { fail = "out of memory"; break; }
          put_le32(out.p + out.len, (uint32_t)current);
          put_be64(out.p + out.len + 4, xx_digest(&st));
          out.len += 12;
        }
        pieces.len = 0;
        current = w;
        if (i == count) break;
        xx_init(&st, 0);
      }
      uint64_t window_end = ((uint64_t)w + 1) * WINDOW_BYTES;
      uint64_t take = (end < window_end ? end : window_end) - pos;
      if (grow(&pieces, 8) < 0) { fail = "out of memory"; break; }
      put_le32(pieces.p + pieces.len, (uint32_t)(pos - (uint64_t)w * WINDOW_BYTES));
      put_le32(pieces.p + pieces.len + 4, (uint32_t)take);
      pieces.len += 8;
      uint64_t left = take;
      while (left > 0) {
        while (part_data == NULL || part_pos == part_len) {
          if (part >= part_count) { fail = "chunk data shorter than its extents"; break; }
          napi_value el = NULL;
          void *data = NULL;
          if (napi_get_element(env, argv[1], part++, &el) != napi_ok || !typed_array(env, el, napi_uint8_array, &data, &part_len)) {
            fail = "a chunk part is not a Uint8Array";
            break;
          }
          part_data = data;
          part_pos = 0;
        }
        if (fail) break;
        size_t n = part_len - part_pos < left ? part_len - part_pos : (size_t)left;
        xx_update(&st, part_data + part_pos, n);
        part_pos += n;
        left -= n;
      }
      if (fail) break;
      pos += take;
    }
  }
  free(pieces.p);
  if (fail) {
    free(out.p);
    napi_throw_error(env, NULL, fail);
    return NULL;
  }
  napi_value buf = buffer_copy_of(env, out.p, out.len);
  free(out.p);
  return buf;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"listXattrs", NULL, list_xattrs, NULL, NULL, NULL, napi_default, NULL},
    {"setXattr", NULL, set_xattr, NULL, NULL, NULL, napi_default, NULL},
    {"removeXattr", NULL, remove_xattr, NULL, NULL, NULL, napi_default, NULL},
    {"mknod", NULL, do_mknod, NULL, NULL, NULL, napi_default, NULL},
    {"utimens", NULL, utimens, NULL, NULL, NULL, napi_default, NULL},
    {"syncfs", NULL, do_syncfs, NULL, NULL, NULL, napi_default, NULL},
    {"seekData", NULL, seek_data, NULL, NULL, NULL, napi_default, NULL},
    {"devParts", NULL, dev_parts, NULL, NULL, NULL, napi_default, NULL},
    {"lstat", NULL, lstat_one, NULL, NULL, NULL, napi_default, NULL},
    {"scanDir", NULL, scan_dir, NULL, NULL, NULL, napi_default, NULL},
    {"writeFile", NULL, write_file, NULL, NULL, NULL, napi_default, NULL},
    {"readSmall", NULL, read_small, NULL, NULL, NULL, napi_default, NULL},
    {"xxh64", NULL, xxh64_js, NULL, NULL, NULL, napi_default, NULL},
    {"hash16", NULL, hash16_js, NULL, NULL, NULL, napi_default, NULL},
    {"childFacts", NULL, child_facts, NULL, NULL, NULL, napi_default, NULL},
    {"xorHash16", NULL, xor_hash16, NULL, NULL, NULL, napi_default, NULL},
    {"chunkWindows", NULL, chunk_windows, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
`;
