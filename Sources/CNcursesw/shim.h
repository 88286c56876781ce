#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/curses.h>

// COLORS and COLOR_PAIRS are mutable C globals; reading them through functions keeps Swift's
// strict concurrency checking out of curses' own state.
static inline int latentty_colors(void) { return COLORS; }
static inline int latentty_color_pairs(void) { return COLOR_PAIRS; }

// wcwidth is only declared by <wchar.h> under _XOPEN_SOURCE; declare it here for cell widths.
extern int wcwidth(wchar_t c);
static inline int latentty_wcwidth(unsigned int c) { return wcwidth((wchar_t)c); }
