/* libarchive, opened on first use (see lazy_load.h). */
#include "core/lazy_load.h"

#include <archive.h>
#include <archive_entry.h>

static struct lazy_lib libarchive = {"libarchive.so.13", "libarchive13", NULL};

struct archive *archive_write_new(void)
{
    LAZY_RESOLVE(libarchive, archive_write_new);
    return real();
}

int archive_write_add_filter_none(struct archive *a)
{
    LAZY_RESOLVE(libarchive, archive_write_add_filter_none);
    return real(a);
}

int archive_write_set_format_pax_restricted(struct archive *a)
{
    LAZY_RESOLVE(libarchive, archive_write_set_format_pax_restricted);
    return real(a);
}

int archive_write_open(struct archive *a, void *client_data, archive_open_callback *open_cb,
                       archive_write_callback *write_cb, archive_close_callback *close_cb)
{
    LAZY_RESOLVE(libarchive, archive_write_open);
    return real(a, client_data, open_cb, write_cb, close_cb);
}

int archive_write_header(struct archive *a, struct archive_entry *entry)
{
    LAZY_RESOLVE(libarchive, archive_write_header);
    return real(a, entry);
}

la_ssize_t archive_write_data(struct archive *a, const void *buf, size_t len)
{
    LAZY_RESOLVE(libarchive, archive_write_data);
    return real(a, buf, len);
}

int archive_write_close(struct archive *a)
{
    LAZY_RESOLVE(libarchive, archive_write_close);
    return real(a);
}

int archive_write_free(struct archive *a)
{
    LAZY_RESOLVE(libarchive, archive_write_free);
    return real(a);
}

const char *archive_error_string(struct archive *a)
{
    LAZY_RESOLVE(libarchive, archive_error_string);
    return real(a);
}

struct archive_entry *archive_entry_new(void)
{
    LAZY_RESOLVE(libarchive, archive_entry_new);
    return real();
}

struct archive_entry *archive_entry_clear(struct archive_entry *e)
{
    LAZY_RESOLVE(libarchive, archive_entry_clear);
    return real(e);
}

void archive_entry_free(struct archive_entry *e)
{
    LAZY_RESOLVE(libarchive, archive_entry_free);
    real(e);
}

void archive_entry_copy_pathname(struct archive_entry *e, const char *path)
{
    LAZY_RESOLVE(libarchive, archive_entry_copy_pathname);
    real(e, path);
}

void archive_entry_copy_symlink(struct archive_entry *e, const char *target)
{
    LAZY_RESOLVE(libarchive, archive_entry_copy_symlink);
    real(e, target);
}

void archive_entry_set_filetype(struct archive_entry *e, unsigned int type)
{
    LAZY_RESOLVE(libarchive, archive_entry_set_filetype);
    real(e, type);
}

void archive_entry_set_perm(struct archive_entry *e, __LA_MODE_T perm)
{
    LAZY_RESOLVE(libarchive, archive_entry_set_perm);
    real(e, perm);
}

void archive_entry_set_size(struct archive_entry *e, la_int64_t size)
{
    LAZY_RESOLVE(libarchive, archive_entry_set_size);
    real(e, size);
}

void archive_entry_set_mtime(struct archive_entry *e, time_t sec, long nsec)
{
    LAZY_RESOLVE(libarchive, archive_entry_set_mtime);
    real(e, sec, nsec);
}

void archive_entry_set_uid(struct archive_entry *e, la_int64_t uid)
{
    LAZY_RESOLVE(libarchive, archive_entry_set_uid);
    real(e, uid);
}

void archive_entry_set_gid(struct archive_entry *e, la_int64_t gid)
{
    LAZY_RESOLVE(libarchive, archive_entry_set_gid);
    real(e, gid);
}
