#!/usr/bin/env python3
"""Read itemvec's Redis contract (docs/contract.md) with redis-py and struct only.

A recommender backend in any language can do what this file does: find the
current space, decode vectors, read precomputed similar items (or scan),
read a user's cross-device vector, rank items for the user, and follow the
update and promotion streams.

    python3 docs/examples/reader.py --redis redis://127.0.0.1:6379/0 current
    python3 docs/examples/reader.py get sku-0001 sku-0002
    python3 docs/examples/reader.py similar sku-0001 --k 5 [--exact]
    python3 docs/examples/reader.py user user-0001
    python3 docs/examples/reader.py recommend user-0001 --k 10
    python3 docs/examples/reader.py follow [--promotions] --count 10 --block 1000

Every command prints JSON. Every command takes --space (default: the current space).
"""
import argparse
import json
import math
import struct
import sys

import redis


def current_space(r):
    space = r.get("itemvec:current")
    if space is None:
        sys.exit("itemvec:current is not set: no worker has run yet; pass --space")
    return space.decode()


def meta(r, space):
    """The space's meta hash: dim, encoding and the layout (blocks) of vec."""
    m = {k.decode(): v.decode() for k, v in r.hgetall(f"itemvec:{space}:meta").items()}
    if not m:
        return None
    return {"space": space, "dim": int(m["dim"]), "encoding": m.get("encoding", "float32"),
            "blocks": json.loads(m["blocks"]), "spec_id": m["spec_id"]}


def decode(raw, encoding):
    """vec bytes -> list of floats: little-endian float32, or float16 ('e')."""
    if encoding == "float16":
        return list(struct.unpack(f"<{len(raw) // 2}e", raw))
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def item_key(space, item_id):
    # The braces are part of the key: a Redis Cluster hash tag.
    return f"itemvec:{space}:item:{{{item_id}}}"


def dot(a, b):
    return sum(x * y for x, y in zip(a, b))


def title_of(line):
    """The title in an item's manifest line (field item), if any."""
    if not line:
        return None
    try:
        return (json.loads(line).get("text") or {}).get("title")
    except ValueError:
        return None


def get_items(r, space, ids):
    pipe = r.pipeline(transaction=False)
    for i in ids:
        pipe.hmget(item_key(space, i), "vec", "encoding", "item")
    out = {}
    for i, (raw, enc, line) in zip(ids, pipe.execute()):
        if raw is None:
            out[i] = None
            continue
        v = decode(raw, enc.decode() if enc else "float32")
        out[i] = {"dim": len(v), "norm": math.sqrt(dot(v, v)), "first": v[:4], "title": title_of(line), "vec": v}
    return out


def scan(r, space, batch=512):
    """Every (id, vector) of the space: ZSCAN of the id index, one pipelined HMGET per batch."""
    ids = []
    for member, _score in r.zscan_iter(f"itemvec:{space}:ids", count=batch):
        ids.append(member.decode())
        if len(ids) == batch:
            yield from _vectors(r, space, ids)
            ids = []
    yield from _vectors(r, space, ids)


def _vectors(r, space, ids):
    pipe = r.pipeline(transaction=False)
    for i in ids:
        pipe.hmget(item_key(space, i), "vec", "encoding")
    for i, (raw, enc) in zip(ids, pipe.execute()):
        if raw is not None:  # deleted since the index named it
            yield i, decode(raw, enc.decode() if enc else "float32")


def top_k(query, rows, k, skip):
    """Exact top k by dot product (cosine: vectors are unit), ties by id."""
    scored = [(-dot(query, v), i) for i, v in rows if i not in skip]
    scored.sort()
    return [[i, -s] for s, i in scored[:k]]


def similar(r, space, item_id, k, exact):
    if not exact:
        # One read per product page: the list itemvec neighbors build wrote.
        lst = r.zrevrange(f"itemvec:{space}:similar:{{{item_id}}}", 0, k - 1, withscores=True)
        if len(lst) >= k:
            return [[m.decode(), s] for m, s in lst]
    q = get_items(r, space, [item_id])[item_id]
    if q is None:
        sys.exit(f"item {item_id} has no vector in space {space}")
    return top_k(q["vec"], scan(r, space), k, {item_id})


def user(r, space, uid):
    h = r.hgetall(f"itemvec:{space}:user:{{{uid}}}")
    if not h:
        return None
    h = {k.decode(): v for k, v in h.items()}
    v = decode(h["vec"], "float32")  # user vectors are always float32
    return {"dim": int(h["dim"]), "norm": math.sqrt(dot(v, v)), "events": int(h["events"]),
            "devices": json.loads(h["devices"]), "excluded": json.loads(h["excluded"]),
            "spec": h["spec"].decode(), "vec": v}


def recommend(r, space, uid, k):
    # Without the device prior of fusion/users: this example ranks by cosine only.
    u = user(r, space, uid)
    if u is None:
        sys.exit(f"user {uid} has no vector in space {space}")
    return top_k(u["vec"], scan(r, space), k, set(u["excluded"]))


def follow(r, space, promotions, count, block):
    key = "itemvec:promotions" if promotions else f"itemvec:{space}:updates"
    last, seen = "0", 0
    while seen < count:
        res = r.xread({key: last}, count=count - seen, block=block)
        if not res:
            break  # the block timed out: nothing new
        for _stream, entries in res:
            for entry_id, fields in entries:
                last = entry_id
                seen += 1
                print(json.dumps({"stream_id": entry_id.decode(),
                                  **{k.decode(): v.decode() for k, v in fields.items()}}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    p.add_argument("--space", help="key space (default: itemvec:current)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("current")
    g = sub.add_parser("get")
    g.add_argument("ids", nargs="+")
    s = sub.add_parser("similar")
    s.add_argument("id")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--exact", action="store_true", help="scan even where a precomputed list exists")
    u = sub.add_parser("user")
    u.add_argument("uid")
    rc = sub.add_parser("recommend")
    rc.add_argument("uid")
    rc.add_argument("--k", type=int, default=10)
    f = sub.add_parser("follow")
    f.add_argument("--promotions", action="store_true")
    f.add_argument("--count", type=int, default=10)
    f.add_argument("--block", type=int, default=1000, help="milliseconds to wait for a new entry")
    a = p.parse_args()

    r = redis.Redis.from_url(a.redis)
    space = a.space or current_space(r)
    if a.cmd == "current":
        out = {"space": space, "meta": meta(r, space)}
    elif a.cmd == "get":
        out = {i: (None if v is None else {k: v[k] for k in ("dim", "norm", "first", "title")})
               for i, v in get_items(r, space, a.ids).items()}
    elif a.cmd == "similar":
        out = similar(r, space, a.id, a.k, a.exact)
    elif a.cmd == "user":
        u = user(r, space, a.uid)
        out = None if u is None else {k: v for k, v in u.items() if k != "vec"}
    elif a.cmd == "recommend":
        out = recommend(r, space, a.uid, a.k)
    else:
        follow(r, space, a.promotions, a.count, a.block)
        return
    print(json.dumps(out))


if __name__ == "__main__":
    main()
