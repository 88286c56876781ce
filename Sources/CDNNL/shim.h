#include <dnnl.h>
// mallopt: the decoders set a fixed mmap threshold so freed activations go back to the system.
#include <malloc.h>
