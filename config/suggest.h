// "Did you mean ...?" for misspelt keys and names.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace courier::config {

// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions
// ("tiemout" is one edit from "timeout").
size_t editDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if it is close enough to be a plausible
// typo (1 edit for words up to 4 characters, 2 beyond). Ties go to the
// earlier candidate.
std::optional<std::string_view> closestMatch(std::string_view word,
                                             std::span<const std::string_view> candidates);

// " (did you mean 'x'?)" or "".
std::string didYouMean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace courier::config
