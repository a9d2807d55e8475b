"""The PPO minibatch step of bench/ppo_update.cpp written in PyTorch as CleanRL writes it: the
same actor-critic (4-64-64 tanh, float64), clipped policy and value losses, entropy bonus, Adam
(eps 1e-5) after clip_grad_norm_(0.5); 1,024 samples in 8 or 32 minibatches, 1 thread. One JSON
line per minibatch count."""
import json
import time

import torch


def mlp(inputs, outputs):
    return torch.nn.Sequential(torch.nn.Linear(inputs, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                               torch.nn.Linear(64, outputs)).double()


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    actor, critic = mlp(4, 2), mlp(4, 1)
    parameters = list(actor.parameters()) + list(critic.parameters())
    n = 1024
    s = torch.randn(n, 4, dtype=torch.float64)
    a = torch.randint(0, 2, (n,))
    with torch.no_grad():
        old_log_probs = torch.log_softmax(actor(s), 1).gather(1, a[:, None]).squeeze(1)
        old_values = critic(s).squeeze(1)
    advantages, returns = torch.randn(n, dtype=torch.float64), torch.randn(n, dtype=torch.float64)

    def epoch(optimizer, minibatches):
        order = torch.randperm(n)
        for k in range(minibatches):
            i = order[k * n // minibatches:(k + 1) * n // minibatches]
            log_p = torch.log_softmax(actor(s[i]), 1)
            log_ratio = log_p.gather(1, a[i][:, None]).squeeze(1) - old_log_probs[i]
            ratio = log_ratio.exp()
            adv = advantages[i]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(0.8, 1.2)).mean()
            v = critic(s[i]).squeeze(1)
            clipped = old_values[i] + (v - old_values[i]).clamp(-0.2, 0.2)
            value_loss = 0.5 * torch.max((v - returns[i]) ** 2, (clipped - returns[i]) ** 2).mean()
            entropy = -(log_p.exp() * log_p).sum(1).mean()
            loss = policy_loss - 0.01 * entropy + 0.5 * value_loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 0.5)
            optimizer.step()

    repeats = 10
    for minibatches in (8, 32):
        optimizer = torch.optim.Adam(parameters, lr=1e-3, eps=1e-5)
        epoch(optimizer, minibatches)  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            epoch(optimizer, minibatches)
        seconds = time.perf_counter() - start
        print(json.dumps({"minibatches": minibatches, "ms_per_step": round(1e3 * seconds / (repeats * minibatches), 4)}))


if __name__ == "__main__":
    main()
