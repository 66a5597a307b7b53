// Keeps local buckets alive across config reloads: a reload parses a new
// config while the old one still serves, and a limit that did not change
// (same route, key, scope and shape) gets the same LocalBuckets, so a reload
// never hands every client a fresh budget. A changed limit starts fresh.
//
// Only the config loader calls this (a mutex guards a small map); the data
// path holds its shared_ptr and never looks anything up here.
#pragma once

#include <memory>
#include <string>

#include "filters/rate_limit/local_buckets.h"

namespace courier::filters::rate_limit {

// The buckets for `identity` (a string naming the route and the limit's
// every setting), made if no live config holds them.
std::shared_ptr<LocalBuckets> sharedBuckets(const std::string& identity, BucketShape shape,
                                            bool keyed, size_t max_keys);

}  // namespace courier::filters::rate_limit
