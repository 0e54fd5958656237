// What other embind files may use of a loaded Engine (engine_embind.cpp):
// the model, its tokenizer and its context's thread pool. All three throw
// Error(InvalidArgument) before load.
// JS hands an engine over as engine.handle() (its address): embind cannot
// pass a pointer to a class this file only declares.
#pragma once

#include <memory>

#include "model/llama_model.h"
#include "model/tokenizer.h"
#include "parallel/thread_pool.h"

class Engine;

namespace quantlab::bindings {

Engine& engine_from_handle(double handle);
std::shared_ptr<LlamaModel> engine_model(Engine& e);
const Tokenizer& engine_tokenizer(Engine& e);
// Work on the model's behalf (a sensitivity scan) shares this pool rather
// than starting a second one, whose workers the browser could not start.
std::shared_ptr<ThreadPool> engine_pool(Engine& e);

}  // namespace quantlab::bindings
