# SPDX-License-Identifier: MIT
"""KV secrets engines, version 1 (passthrough) and version 2 (versioned),
behaving like hashicorp/vault-plugin-secrets-kv.

Fidelity points:
* v2 stores json.Marshal(data) of the request (json.Number literals kept)
  and a read unmarshals it into float64, so numbers come back in Go's
  float64 formatting (1.50 -> 1.5, 1e6 -> 1000000, 0.0000001 -> 1e-7).
  A literal out of float64 range makes the read fail like Go's Unmarshal.
* v1 keeps number literals (jsonutil.DecodeJSON uses UseNumber);
  lease_duration = the secret's own ttl/lease key or the mount default.
* deleted (deletion_time in the past) or destroyed versions answer 404
  with a full JSON envelope and no trailing newline (RespondWithStatusCode);
  paths outside data/, metadata/, ... answer 404 with the plugin's warning.
* versions, max_versions (default 10), cas / cas_required,
  delete_version_after, soft delete / undelete / destroy, metadata, subkeys,
  JSON merge PATCH.
"""

import math

import framework as fw
from core import BackendBase, SEC
from framework import ErrResp, PlainErr, LResp, Path, respond_with_status
from gojson import Number, human_duration, ns_to_rfc3339

RUNNING_VERSION = 'v0.25.0+builtin'
DEFAULT_MAX_VERSIONS = 10


def make_backend(core, mount):
    opts = mount.options or {}
    if opts.get('version') == '2':
        return KVv2(core, mount)
    return KVv1(core, mount)


def _to_float_tree(v):
    """json.Unmarshal into interface{}: every number becomes float64."""
    if isinstance(v, Number):
        f = float(str.__str__(v))
        if math.isinf(f):
            raise PlainErr('json: cannot unmarshal number %s into Go value of type float64'
                           % str.__str__(v), 500)
        return f
    if isinstance(v, dict):
        return {k: _to_float_tree(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_float_tree(x) for x in v]
    return v


def _ts(ns):
    return ns_to_rfc3339(ns) if ns else ''


# ====================================================================== v1

class KVv1(BackendBase):
    def __init__(self, core, mount):
        self.core = core
        self.mount = mount
        self.store = {}
        self.paths = [Path(r'(?P<path>.*)', {'path': ('string',)},
                           {'read': self.read, 'create': self.write, 'update': self.write,
                            'delete': self.delete, 'list': self.list},
                           existence=self.exists, arbitrary=True)]

    def exists(self, req, fd):
        return req.subpath in self.store

    def read(self, req, fd):
        data = self.store.get(req.subpath)
        if data is None:
            return None
        d, _m = self.core.sys_ttls(self.mount)
        ttl = d
        raw = data.get('ttl', data.get('lease')) if isinstance(data, dict) else None
        if isinstance(data, dict) and ('ttl' in data or 'lease' in data):
            try:
                from gojson import parse_duration_second
                ttl = int(parse_duration_second(raw) / SEC)
            except (ValueError, TypeError):
                ttl = d
        return LResp(data=data, lease_duration=ttl)

    def write(self, req, fd):
        if req.subpath == '':
            raise ErrResp('missing path')
        if not req.data:
            raise ErrResp('missing data fields')
        self.store[req.subpath] = dict(req.data)
        return None

    def delete(self, req, fd):
        self.store.pop(req.subpath, None)
        return None

    def list(self, req, fd):
        prefix = req.subpath
        if prefix and not prefix.endswith('/'):
            prefix += '/'
        keys = set()
        for k in self.store:
            if k.startswith(prefix):
                rest = k[len(prefix):]
                if '/' in rest:
                    keys.add(rest.split('/', 1)[0] + '/')
                else:
                    keys.add(rest)
        if not keys:
            return None
        return LResp(data={'keys': sorted(keys)})

    def write_direct(self, path, data):
        self.store[path] = dict(data)


# ====================================================================== v2

class _Version:
    __slots__ = ('created', 'deleted', 'destroyed', 'data')

    def __init__(self, created, data):
        self.created = created
        self.deleted = None
        self.destroyed = False
        self.data = data


class _Meta:
    def __init__(self, key):
        self.key = key
        self.versions = {}
        self.current = 0
        self.oldest = 0
        self.max_versions = 0
        self.cas_required = False
        self.dva = 0
        self.custom = None
        self.created = None
        self.updated = None


class KVv2(BackendBase):
    def __init__(self, core, mount):
        self.core = core
        self.mount = mount
        self.keys = {}
        self.max_versions = 0
        self.cas_required = False
        self.dva = 0
        data_fields = {'path': ('string',), 'version': ('int',), 'options': ('map',),
                       'data': ('map',)}
        meta_fields = {'path': ('string',), 'max_versions': ('int',), 'cas_required': ('bool',),
                       'delete_version_after': ('string',), 'custom_metadata': ('map',),
                       'after': ('string',), 'limit': ('int',)}
        versions = {'path': ('string',), 'versions': ('commaslice',)}
        self.paths = [
            Path(r'config', {'max_versions': ('int',), 'cas_required': ('bool',),
                             'delete_version_after': ('string',)},
                 {'read': self.config_read, 'update': self.config_write}),
            Path(r'data/(?P<path>.*?[^/])', data_fields,
                 {'read': self.data_read, 'create': self.data_write, 'update': self.data_write,
                  'delete': self.data_delete, 'patch': self.data_patch},
                 existence=self.exists),
            Path(r'metadata/(?P<path>.*)', meta_fields,
                 {'read': self.meta_read, 'create': self.meta_write, 'update': self.meta_write,
                  'list': self.meta_list, 'delete': self.meta_delete},
                 existence=self.exists),
            Path(r'destroy/(?P<path>.*)', versions, {'update': self.destroy}),
            Path(r'subkeys/(?P<path>.*?[^/])', {'path': ('string',), 'version': ('int',),
                                                 'depth': ('int',)},
                 {'read': self.subkeys}),
            Path(r'delete/(?P<path>.*)', versions, {'update': self.soft_delete}),
            Path(r'undelete/(?P<path>.*)', versions, {'update': self.undelete}),
            Path(r'.*', {}, {'update': self.invalid, 'patch': self.invalid, 'read': self.invalid,
                             'delete': self.invalid, 'list': self.invalid}),
        ]

    # --- helpers

    def exists(self, req, fd):
        return fd.get('path') in self.keys

    def _meta_struct(self, vnum, vm, meta):
        return {'version': vnum, 'created_time': _ts(vm.created),
                'deletion_time': _ts(vm.deleted), 'destroyed': vm.destroyed,
                'custom_metadata': meta.custom}

    def _dva_for(self, meta):
        if meta.dva:
            return meta.dva
        return self.dva

    def _add_version(self, meta, data_json):
        now = self.core.now_ns()
        vm = _Version(now, data_json)
        dva = self._dva_for(meta)
        if dva > 0:
            vm.deleted = now + dva * SEC
        meta.current += 1
        meta.versions[meta.current] = vm
        meta.updated = now
        if meta.created is None:
            meta.created = now
        maxv = max(meta.max_versions, self.max_versions) or DEFAULT_MAX_VERSIONS
        if meta.current - meta.oldest >= maxv:
            to_delete = meta.current - maxv
            for i in range(meta.oldest, to_delete + 1):
                meta.versions.pop(i, None)
            meta.oldest = to_delete + 1
        return vm

    def _check_cas(self, fd, meta):
        options = fd.get('options') if 'options' in fd.raw else None
        if options is not None and 'cas' in options:
            try:
                cas = fw.weak_int(options['cas'])
            except fw.FieldError:
                raise ErrResp('error parsing check-and-set parameter')
            if cas != meta.current:
                raise ErrResp('check-and-set parameter did not match the current version')
        elif self.cas_required or meta.cas_required:
            raise ErrResp('check-and-set parameter required for this call')

    # --- config

    def config_read(self, req, fd):
        return LResp(data={'max_versions': self.max_versions, 'cas_required': self.cas_required,
                           'delete_version_after': human_duration(self.dva * SEC) if self.dva >= 0
                           else '-' + human_duration(-self.dva * SEC)})

    def config_write(self, req, fd):
        if 'max_versions' in fd.raw:
            mv = fd.get('max_versions')
            if mv < 0:
                raise ErrResp('max_versions must be greater than or equal to 0')
            self.max_versions = mv
        if 'cas_required' in fd.raw:
            self.cas_required = fd.get('cas_required')
        if 'delete_version_after' in fd.raw:
            self.dva = self._parse_dva(fd.get('delete_version_after'))
        return None

    def _parse_dva(self, raw):
        try:
            return fw.duration_seconds(raw, allow_negative=True)
        except fw.FieldError as e:
            raise ErrResp(str(e))

    # --- data

    def data_read(self, req, fd):
        key = fd.get('path')
        meta = self.keys.get(key)
        if meta is None:
            return None
        vnum = meta.current
        ver = fd.get('version')
        if ver > 0:
            vnum = ver
        vm = meta.versions.get(vnum)
        if vm is None:
            return None
        resp = LResp(data={'data': None, 'metadata': self._meta_struct(vnum, vm, meta)})
        if vm.deleted is not None and vm.deleted < self.core.now_ns():
            return respond_with_status(resp, 404)
        if vm.destroyed:
            return respond_with_status(resp, 404)
        resp.data['data'] = _to_float_tree(vm.data)
        return resp

    def data_write(self, req, fd):
        key = fd.get('path')
        if key == '':
            raise ErrResp('missing path')
        if 'data' not in fd.raw:
            raise ErrResp('no data provided')
        data = fd.get('data')
        if data is None:
            data = {}
        meta = self.keys.get(key)
        new = meta is None
        if new:
            meta = _Meta(key)
        self._check_cas(fd, meta)
        vm = self._add_version(meta, dict(data))
        if new:
            self.keys[key] = meta
        return LResp(data=self._meta_struct(meta.current, vm, meta))

    def data_delete(self, req, fd):
        key = fd.get('path')
        meta = self.keys.get(key)
        if meta is None:
            return None
        lv = meta.versions.get(meta.current)
        if lv is None or lv.destroyed:
            return None
        now = self.core.now_ns()
        if lv.deleted is not None and lv.deleted < now:
            return None
        lv.deleted = now
        return None

    def data_patch(self, req, fd):
        key = fd.get('path')
        if 'data' not in fd.raw:
            raise ErrResp('no data provided')
        meta = self.keys.get(key)
        if meta is None:
            return respond_with_status(None, 404)
        self._check_cas(fd, meta)
        vm = meta.versions.get(meta.current)
        if vm is None:
            return respond_with_status(None, 404)
        nf = LResp(data=self._meta_struct(meta.current, vm, meta))
        if vm.deleted is not None and vm.deleted < self.core.now_ns():
            return respond_with_status(nf, 404)
        if vm.destroyed:
            return respond_with_status(nf, 404)
        current = _to_float_tree(vm.data)
        patch = fd.raw.get('data')
        if not isinstance(patch, dict):
            raise PlainErr('no data provided', 500)
        merged = _merge_patch(current, patch)
        nv = self._add_version(meta, merged)
        return LResp(data=self._meta_struct(meta.current, nv, meta))

    # --- metadata

    def meta_read(self, req, fd):
        key = fd.get('path')
        meta = self.keys.get(key)
        if meta is None:
            return None
        versions = {}
        for n, vm in meta.versions.items():
            versions[str(n)] = {'created_time': _ts(vm.created), 'deletion_time': _ts(vm.deleted),
                                'destroyed': vm.destroyed}
        return LResp(data={
            'versions': versions, 'current_version': meta.current,
            'oldest_version': meta.oldest, 'created_time': _ts(meta.created),
            'updated_time': _ts(meta.updated), 'max_versions': meta.max_versions,
            'cas_required': meta.cas_required,
            'delete_version_after': human_duration(meta.dva * SEC) if meta.dva >= 0
            else '-' + human_duration(-meta.dva * SEC),
            'custom_metadata': meta.custom,
        })

    def meta_write(self, req, fd):
        key = fd.get('path')
        if key == '':
            raise ErrResp('missing path')
        meta = self.keys.get(key)
        new = meta is None
        if new:
            meta = _Meta(key)
        if 'max_versions' in fd.raw:
            meta.max_versions = fd.get('max_versions')
        if 'cas_required' in fd.raw:
            meta.cas_required = fd.get('cas_required')
        if 'delete_version_after' in fd.raw:
            meta.dva = self._parse_dva(fd.get('delete_version_after'))
        if 'custom_metadata' in fd.raw:
            cm = fd.get('custom_metadata') or {}
            out = {}
            for k, v in cm.items():
                if not isinstance(v, str):
                    raise ErrResp('custom_metadata values must be strings')
                out[k] = str.__str__(v)
            meta.custom = out
        if new:
            now = self.core.now_ns()
            meta.created = meta.updated = now
            self.keys[key] = meta
        return None

    def meta_list(self, req, fd):
        prefix = fd.get('path')
        keys = set()
        for k in self.keys:
            if k.startswith(prefix):
                rest = k[len(prefix):]
                keys.add(rest.split('/', 1)[0] + '/' if '/' in rest else rest)
        if not keys:
            return None
        return LResp(data={'keys': sorted(keys)})

    def meta_delete(self, req, fd):
        self.keys.pop(fd.get('path'), None)
        return None

    # --- versions

    def _versions(self, fd):
        raw = fd.get('versions')
        if not raw:
            raise ErrResp('no version number provided')
        out = []
        for s in raw:
            try:
                out.append(int(s))
            except ValueError:
                raise ErrResp('Field validation failed: error converting input for field "versions"')
        return out

    def soft_delete(self, req, fd):
        versions = self._versions(fd)
        meta = self.keys.get(fd.get('path'))
        if meta is None:
            return None
        now = self.core.now_ns()
        for n in versions:
            vm = meta.versions.get(n)
            if vm is None or vm.destroyed:
                continue
            if vm.deleted is not None and vm.deleted < now:
                continue
            vm.deleted = now
        return None

    def undelete(self, req, fd):
        versions = self._versions(fd)
        meta = self.keys.get(fd.get('path'))
        if meta is None:
            return None
        for n in versions:
            vm = meta.versions.get(n)
            if vm is None or vm.destroyed:
                continue
            vm.deleted = None
        return None

    def destroy(self, req, fd):
        versions = self._versions(fd)
        meta = self.keys.get(fd.get('path'))
        if meta is None:
            return None
        for n in versions:
            vm = meta.versions.get(n)
            if vm is None:
                continue
            vm.destroyed = True
            vm.data = None
        return None

    def subkeys(self, req, fd):
        meta = self.keys.get(fd.get('path'))
        if meta is None:
            return None
        vnum = fd.get('version') if fd.get('version') > 0 else meta.current
        vm = meta.versions.get(vnum)
        if vm is None:
            return None
        resp = LResp(data={'subkeys': None, 'metadata': self._meta_struct(vnum, vm, meta)})
        if (vm.deleted is not None and vm.deleted < self.core.now_ns()) or vm.destroyed:
            return respond_with_status(resp, 404)
        depth = fd.get('depth')

        def walk(v, d):
            out = {}
            for k, x in v.items():
                if isinstance(x, dict) and (depth == 0 or d < depth):
                    out[k] = walk(x, d + 1)
                else:
                    out[k] = None
            return out
        resp.data['subkeys'] = walk(_to_float_tree(vm.data), 1)
        return resp

    # --- everything else

    def invalid(self, req, fd):
        if req.subpath in ('metadata', 'data', 'delete', 'undelete', 'destroy'):
            r = LResp()
            r.warn('Non-listing operations on the root of a K/V v2 mount are not supported.')
            return respond_with_status(r, 404)
        sub = {'create': 'put', 'update': 'put', 'patch': 'patch', 'read': 'get',
               'list': 'list', 'delete': 'delete'}.get(req.op, '')
        r = LResp()
        r.warn("Invalid path for a versioned K/V secrets engine. See the API docs for the "
               "appropriate API endpoints to use. If using the Vault CLI, use 'vault kv %s' "
               "for this operation." % sub)
        return respond_with_status(r, 404)

    def write_direct(self, key, data):
        meta = self.keys.get(key)
        if meta is None:
            meta = _Meta(key)
            self.keys[key] = meta
        self._add_version(meta, dict(data))
        return meta.current


def _merge_patch(target, patch):
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = _merge_patch(out.get(k), v)
    return out
