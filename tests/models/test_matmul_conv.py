"""MatmulConv2d computes exactly what nn.Conv2d does, and only the slow shape is converted."""

import pytest
import torch
from torch import nn

from wgan.models.matmul_conv import MatmulConv2d, convertible, use_matmul_convs


def pair(kernel: int, padding: int, bias: bool = True):
    conv = nn.Conv2d(6, 1, kernel, padding=padding, bias=bias)
    fast = MatmulConv2d(6, 1, kernel, padding=padding, bias=bias)
    fast.load_state_dict(conv.state_dict())
    return conv, fast


@pytest.mark.parametrize("kernel,padding", [(7, 3), (5, 0), (5, 4), (6, 2), (2, 0)])
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
def test_forward_and_gradients_match_conv2d(kernel, padding, layout):
    conv, fast = pair(kernel, padding)
    x = torch.randn(3, 6, 9, 12).contiguous(memory_format=layout)  # not square: rows and columns differ
    x_conv, x_fast = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_conv, out_fast = conv(x_conv), fast(x_fast)
    assert out_fast.shape == out_conv.shape
    torch.testing.assert_close(out_fast, out_conv)
    upstream = torch.randn_like(out_conv)
    (out_conv * upstream).sum().backward()
    (out_fast * upstream).sum().backward()
    torch.testing.assert_close(x_fast.grad, x_conv.grad)
    torch.testing.assert_close(fast.weight.grad, conv.weight.grad)
    torch.testing.assert_close(fast.bias.grad, conv.bias.grad)


def test_second_derivatives_match_for_a_gradient_penalty():
    conv, fast = pair(7, 3, bias=False)
    x = torch.randn(2, 6, 8, 8)
    penalties = []
    for net in (conv, fast):
        xi = x.clone().requires_grad_()
        (grad,) = torch.autograd.grad(net(xi).square().sum(), xi, create_graph=True)
        penalties.append(torch.autograd.grad(grad.square().sum(), net.weight)[0])
    torch.testing.assert_close(penalties[1], penalties[0])


def test_only_single_channel_stride_one_convolutions_of_kernel_two_or_more_are_converted():
    net = nn.Sequential(
        nn.Conv2d(8, 1, 7, padding=3),           # dcgan28's last layer: converted
        nn.Sequential(nn.Conv2d(8, 1, 5)),       # nested, no padding: converted
        nn.Conv2d(8, 1, 2),                      # acwgan's last layer: converted
        nn.Conv2d(8, 1, 1),                      # 1x1: faster as it is
        nn.Conv2d(8, 3, 7, padding=3),           # three channels: slower as a product
        nn.Conv2d(8, 1, 7, stride=2),
        nn.Conv2d(8, 1, 7, padding="same"),
        nn.Conv2d(8, 1, 7, padding=3, padding_mode="reflect"),
        nn.ConvTranspose2d(8, 1, 7),
    )
    params = [id(p) for p in net.parameters()]
    keys = list(net.state_dict())
    assert use_matmul_convs(net) == 3
    assert all(type(m) is MatmulConv2d for m in (net[0], net[1][0], net[2]))
    assert all(type(m) is not MatmulConv2d for m in list(net)[3:])
    assert [id(p) for p in net.parameters()] == params  # an optimiser built before still holds them
    assert list(net.state_dict()) == keys  # checkpoints load either way
    assert not convertible(net[0])  # converted once only


def test_training_mode_is_kept():
    net = nn.Sequential(nn.Conv2d(8, 1, 7, padding=3)).eval()
    use_matmul_convs(net)
    assert not net[0].training
